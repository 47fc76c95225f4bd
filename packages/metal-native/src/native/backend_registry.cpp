// Which backends this build contains, and opening one by kind. Backends that were not
// compiled in still answer probes, with the reason, so `backendStatus()` can list them.
#include "backend.h"
#include "errors.h"

namespace mlx {

const char* backendName(BackendKind kind) {
  switch (kind) {
    case BackendKind::Metal:
      return "metal";
    case BackendKind::Host:
      return "host";
    case BackendKind::Cuda:
      return "cuda";
  }
  return "unknown";
}

bool parseBackendName(const std::string& name, BackendKind* out) {
  for (BackendKind kind : {BackendKind::Metal, BackendKind::Host, BackendKind::Cuda}) {
    if (name == backendName(kind)) {
      *out = kind;
      return true;
    }
  }
  return false;
}

namespace {

BackendProbe notBuilt(BackendKind kind, const char* reason) {
  BackendProbe probe{kind};
  probe.reason = reason;
  return probe;
}

}  // namespace

BackendProbe probeBackend(BackendKind kind) {
  switch (kind) {
    case BackendKind::Host:
      return probeHostBackend();
    case BackendKind::Metal:
#if defined(MLX_HAVE_METAL)
      return probeMetalBackend();
#else
      return notBuilt(kind, "not built: Metal exists only on macOS");
#endif
    case BackendKind::Cuda:
#if defined(MLX_HAVE_CUDA)
      return probeCudaBackend();
#else
      return notBuilt(kind,
                      "not built: the CUDA toolkit was not found at build time or MLX_WITH_CUDA=0");
#endif
  }
  return notBuilt(kind, "unknown backend");
}

std::vector<BackendProbe> probeAllBackends() {
  return {probeBackend(BackendKind::Metal), probeBackend(BackendKind::Host),
          probeBackend(BackendKind::Cuda)};
}

// Metal where it works; host otherwise. CUDA is never the silent default: managed memory
// behaves differently enough (page migration) that callers should ask for it by name.
BackendKind defaultBackend() {
  return probeBackend(BackendKind::Metal).available ? BackendKind::Metal : BackendKind::Host;
}

std::vector<DeviceInfo> describeBackendDevices(BackendKind kind) {
  if (!probeBackend(kind).available) return {};
  switch (kind) {
    case BackendKind::Host:
      return describeHostDevices();
#if defined(MLX_HAVE_METAL)
    case BackendKind::Metal:
      return describeMetalDevices();
#endif
#if defined(MLX_HAVE_CUDA)
    case BackendKind::Cuda:
      return describeCudaDevices();
#endif
    default:
      return {};
  }
}

std::shared_ptr<BackendDevice> openBackendDevice(BackendKind kind, uint32_t index) {
  BackendProbe probe = probeBackend(kind);
  const std::string name = backendName(kind);
  if (!probe.built) {
    throw NativeError(ErrorCode::UnsupportedBackend,
                      "backend \"" + name + "\" is unavailable: " + probe.reason,
                      ErrorValue::of(name));
  }
  if (!probe.available) {
    throw NativeError(ErrorCode::DeviceNotFound,
                      "backend \"" + name + "\" has no usable device: " + probe.reason,
                      ErrorValue::of(name));
  }
  const size_t count = describeBackendDevices(kind).size();
  if (index >= count) {
    throw NativeError(ErrorCode::DeviceNotFound,
                      "backend \"" + name + "\" has no device at index " + std::to_string(index) +
                          ": it has " + std::to_string(count) + " (indices 0 to " +
                          std::to_string(count == 0 ? 0 : count - 1) + ")",
                      ErrorValue::of(static_cast<double>(index)));
  }
  switch (kind) {
    case BackendKind::Host:
      return openHostBackend();
#if defined(MLX_HAVE_METAL)
    case BackendKind::Metal:
      return openMetalBackend(index);
#endif
#if defined(MLX_HAVE_CUDA)
    case BackendKind::Cuda:
      return openCudaBackend(index);
#endif
    default:
      break;
  }
  throw NativeError(ErrorCode::UnsupportedBackend, "backend \"" + name + "\" is not built",
                    ErrorValue::of(name));
}

}  // namespace mlx
