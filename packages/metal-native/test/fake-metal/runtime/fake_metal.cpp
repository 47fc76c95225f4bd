// A fake Objective-C runtime (Apple's objc_msgSend entry point, and the GNUstep 2.0 ABI that
// clang emits for ARC Objective-C++ on Linux) and fake Foundation and Metal classes that count
// references and record calls. Test-only; x86-64 Linux. README.md says what it models.
//
// Note [zombies]: a deallocated object's memory is kept, with its class swapped for a marker,
// so that a later release or message is reported as an over-release or a use after free
// instead of reading freed memory (NSZombieEnabled does the same on macOS).
#include "fake_metal.h"

#include <Block.h>
#include <sys/mman.h>
#include <unistd.h>
#include <unwind.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

extern "C" void fake_nil_imp();

namespace {

struct Selector { const char* name; const char* types; };  // GNUstep 2.0 layout; metal-cpp gets the same
struct Class_;
struct Obj { Class_* isa; std::atomic<long> refs; Class_* deadClass; };
using Dealloc = void (*)(Obj*);
struct Class_ {
  Class_* isa;  // &kMeta for class objects
  const char* name;
  Class_* super;
  size_t size;
  Dealloc dealloc;
  std::unordered_map<std::string, void*> methods, classMethods;
  bool metalClass;
};
Class_ kMeta{nullptr, "<meta>", nullptr, 0, nullptr, {}, {}, false};
Class_ kZombie{nullptr, "<deallocated>", nullptr, 0, nullptr, {}, {}, false};

std::mutex gMutex;
std::set<Obj*> gLive;
std::vector<std::string> gLog;
std::vector<std::string> gViolations;
std::atomic<long> gCommits{0}, gNoPool{0}, gPending{0};
std::condition_variable gPendingCv;
std::mutex gPendingMutex;
std::atomic<long> gCreateDefaultCalls{0}, gCopyAllCalls{0};
thread_local std::vector<std::vector<Obj*>> tPools;
thread_local bool tCompletionThread = false;

// The fake's own bookkeeping allocates; it is not the handler's doing, so it is not counted.
struct Bookkeeping {
  bool saved = tCompletionThread;
  Bookkeeping() { tCompletionThread = false; }
  ~Bookkeeping() { tCompletionThread = saved; }
};

void violation(const std::string& what) {
  Bookkeeping quiet;
  std::lock_guard<std::mutex> lock(gMutex);
  gViolations.push_back(what);
}
void record(Obj* self, const char* sel) {
  if (self == nullptr || self->isa == &kMeta || !self->isa->metalClass) return;
  Bookkeeping quiet;
  std::lock_guard<std::mutex> lock(gMutex);
  gLog.push_back(std::string(self->isa->name) + " " + sel);
}


}  // namespace

// ---- constant strings (GNUstep 2.0 layout: isa, flags, length, size, hash, data)
struct ConstantString { Class_* isa; uint32_t flags, length, size, hash; const char* data; };
extern "C" Class_ fake_NSConstantString asm("._OBJC_CLASS_NSConstantString");
Class_ fake_NSConstantString{&kMeta, "NSConstantString", nullptr, 0, nullptr, {}, {}, false};

namespace {
bool untracked(Obj* o) { return o == nullptr || o->isa == &kMeta || o->isa == &fake_NSConstantString; }
bool zombie(Obj* o, const char* what) {
  if (o == nullptr || o->isa != &kZombie) return false;
  violation(std::string(what) + " of a deallocated " + o->deadClass->name);
  return true;
}

Obj* allocObj(Class_* cls) {
  Obj* o = static_cast<Obj*>(calloc(1, cls->size));
  o->isa = cls;
  o->refs = 1;
  Bookkeeping quiet;
  std::lock_guard<std::mutex> lock(gMutex);
  gLive.insert(o);
  return o;
}
Obj* retainObj(Obj* o) {
  if (zombie(o, "retain")) return o;
  if (!untracked(o)) o->refs.fetch_add(1);
  return o;
}
void releaseObj(Obj* o) {
  if (zombie(o, "over-release")) return;
  if (untracked(o)) return;
  long left = o->refs.fetch_sub(1) - 1;
  if (left < 0) { violation(std::string("over-release of ") + o->isa->name); return; }
  if (left > 0) return;
  for (Class_* c = o->isa; c; c = c->super) if (c->dealloc) c->dealloc(o);
  std::lock_guard<std::mutex> lock(gMutex);
  gLive.erase(o);
  o->deadClass = o->isa;
  o->isa = &kZombie;  // Note [zombies]: the memory is kept on purpose
}
Obj* autoreleaseObj(Obj* o) {
  if (zombie(o, "autorelease")) return o;
  if (untracked(o)) return o;
  if (tPools.empty()) { gNoPool++; violation(std::string("autorelease with no pool: ") + o->isa->name); return o; }
  tPools.back().push_back(o);
  return o;
}
}  // namespace

// ---- the ABI entry points
extern "C" {
void* fake_objc_lookup(Obj* receiver, Selector* sel) {
  if (receiver == nullptr) return reinterpret_cast<void*>(&fake_nil_imp);
  if (receiver->isa == &kZombie) {
    violation(std::string("message ") + sel->name + " sent to a deallocated " + receiver->deadClass->name);
    return reinterpret_cast<void*>(&fake_nil_imp);
  }
  Bookkeeping quiet;  // the lookup by name builds a std::string
  const bool isClass = receiver->isa == &kMeta;
  for (Class_* c = isClass ? reinterpret_cast<Class_*>(receiver) : receiver->isa; c; c = c->super) {
    auto& table = isClass ? c->classMethods : c->methods;
    auto it = table.find(sel->name);
    if (it != table.end()) return it->second;
  }
  std::fprintf(stderr, "fake objc: unrecognized selector %c[%s %s]\n", isClass ? '+' : '-',
               isClass ? reinterpret_cast<Class_*>(receiver)->name : receiver->isa->name, sel->name);
  std::abort();
}
Selector* sel_registerName(const char* name) {
  static std::mutex m;
  static std::map<std::string, Selector*> table;
  std::lock_guard<std::mutex> lock(m);
  auto& s = table[name];
  if (!s) s = new Selector{strdup(name), nullptr};
  return s;
}
const char* sel_getName(Selector* s) { return s->name; }
Class_* objc_lookUpClass(const char* name);
void* objc_getProtocol(const char*) { return nullptr; }
// ARC and pools (GNUstep 2.0 ABI names, same as Apple's)
Obj* objc_retain(Obj* o) { return retainObj(o); }
void objc_release(Obj* o) { releaseObj(o); }
Obj* objc_autorelease(Obj* o) { return autoreleaseObj(o); }
Obj* objc_retainAutorelease(Obj* o) { return autoreleaseObj(retainObj(o)); }
Obj* objc_retainAutoreleasedReturnValue(Obj* o) { return retainObj(o); }
Obj* objc_autoreleaseReturnValue(Obj* o) { return autoreleaseObj(o); }
Obj* objc_retainAutoreleaseReturnValue(Obj* o) { return autoreleaseObj(retainObj(o)); }
void objc_storeStrong(Obj** slot, Obj* value) { Obj* old = *slot; *slot = retainObj(value); releaseObj(old); }
void* objc_autoreleasePoolPush() { tPools.emplace_back(); return reinterpret_cast<void*>(tPools.size()); }
void objc_autoreleasePoolPop(void* token) {
  const size_t depth = reinterpret_cast<size_t>(token);
  if (depth != tPools.size()) violation("autorelease pool popped out of order: " + std::to_string(tPools.size() - depth) + " inner pool(s) never popped");
  while (tPools.size() >= depth && !tPools.empty()) {
    std::vector<Obj*> objects;
    objects.swap(tPools.back());
    tPools.pop_back();
    for (Obj* o : objects) releaseObj(o);
  }
}
void __objc_load(void*) {}  // GNUstep 2.0 module registration: selectors are used by name
_Unwind_Reason_Code __gxx_personality_v0(int, _Unwind_Action, uint64_t, _Unwind_Exception*, _Unwind_Context*);
_Unwind_Reason_Code __gnustep_objcxx_personality_v0(int v, _Unwind_Action a, uint64_t c, _Unwind_Exception* e, _Unwind_Context* x) {
  return __gxx_personality_v0(v, a, c, e, x);
}
}
// Section bounds the GNUstep 2.0 loader stub references, present even when a module has none.
#define FAKE_SECTION(name) __attribute__((section(name), used)) static void* fake_##__LINE__ = nullptr;
__attribute__((section("__objc_cats"), used)) static void* s1[1];
__attribute__((section("__objc_class_aliases"), used)) static void* s2[1];
__attribute__((section("__objc_class_refs"), used)) static void* s3[1];
__attribute__((section("__objc_classes"), used)) static void* s4[1];
__attribute__((section("__objc_constant_string"), used)) static void* s5[1];
__attribute__((section("__objc_protocol_refs"), used)) static void* s6[1];
__attribute__((section("__objc_protocols"), used)) static void* s7[1];
__attribute__((section("__objc_selectors"), used)) static void* s8[1];

// ---- fake classes
// Each method behaves as the Apple documentation page named beside its declaration in
// sdk/Metal/Metal.h and sdk/Foundation/Foundation.h says; the rules tests rely on are quoted
// here where they are implemented.
namespace {
using U = uintptr_t;
struct String : Obj { char* text; };
struct Error : Obj { long code; String* description; };
struct Descriptor : Obj { String* label; U capacity; };
// `options`: the MTLResourceOptions newBufferWithLength:options: was given, for tests to read.
struct Buffer : Obj { void* memory; U length; struct Device* device; U options; };
struct ResidencySet : Obj { std::set<Obj*>* committed; std::set<Obj*>* staged; String* label; };
struct Dispatch { fake::Kernel kernel; fake::KernelArgs args; std::vector<std::vector<unsigned char>> bytes; };
struct CommandBuffer : Obj { std::vector<void*>* handlers; String* label; long status; struct Queue* queue; std::vector<Dispatch>* dispatches; };
struct Library : Obj { std::string* source; };
struct Function : Obj { String* name; fake::Kernel kernel; };
struct Pipeline : Obj { fake::Kernel kernel; };
struct Encoder : Obj { CommandBuffer* commandBuffer; Dispatch* current; bool ended; };
struct MTLSizeValue { U width, height, depth; };
// Command buffers of one queue complete in commit order (tickets), as Metal's queues run.
struct QueueOrder { std::mutex mutex; std::condition_variable cv; long next = 0; long done = 0; };
struct Queue : Obj { std::vector<Obj*>* sets; struct Device* device; QueueOrder* order; };
struct Device : Obj { long buffers; };
struct Pool : Obj { size_t token; };
struct Array : Obj { std::vector<Obj*>* items; bool deviceList; };

#define SEL_ Selector*
Class_ g_cNSObject{&kMeta, "NSObject", nullptr, sizeof(Obj), nullptr, {}, {}, false};
Class_* const cNSObject = &g_cNSObject;
Class_ g_cString{&kMeta, "NSString", cNSObject, sizeof(String), [](Obj* o) { free(static_cast<String*>(o)->text); }, {}, {}, false};
Class_* const cString = &g_cString;
Class_ g_cError{&kMeta, "NSError", cNSObject, sizeof(Error), [](Obj* o) { releaseObj(static_cast<Error*>(o)->description); }, {}, {}, false};
Class_* const cError = &g_cError;
Class_ g_cPool{&kMeta, "NSAutoreleasePool", cNSObject, sizeof(Pool), nullptr, {}, {}, false};
Class_* const cPool = &g_cPool;
Class_ g_cProcessInfo{&kMeta, "NSProcessInfo", cNSObject, sizeof(Obj), nullptr, {}, {}, false};
Class_* const cProcessInfo = &g_cProcessInfo;
Class_ g_cDescriptor{&kMeta, "MTLResidencySetDescriptor", cNSObject, sizeof(Descriptor), [](Obj* o) { releaseObj(static_cast<Descriptor*>(o)->label); }, {}, {}, true};
Class_* const cDescriptor = &g_cDescriptor;
Class_ g_cDevice{&kMeta, "FakeMTLDevice", cNSObject, sizeof(Device), nullptr, {}, {}, true};
Class_* const cDevice = &g_cDevice;
Class_ g_cBuffer{&kMeta, "FakeMTLBuffer", cNSObject, sizeof(Buffer), nullptr, {}, {}, true};
Class_* const cBuffer = &g_cBuffer;
Class_ g_cSet{&kMeta, "FakeMTLResidencySet", cNSObject, sizeof(ResidencySet), nullptr, {}, {}, true};
Class_* const cSet = &g_cSet;
Class_ g_cQueue{&kMeta, "FakeMTLCommandQueue", cNSObject, sizeof(Queue), nullptr, {}, {}, true};
Class_* const cQueue = &g_cQueue;
Class_ g_cCommandBuffer{&kMeta, "FakeMTLCommandBuffer", cNSObject, sizeof(CommandBuffer), nullptr, {}, {}, true};
Class_* const cCommandBuffer = &g_cCommandBuffer;
Class_ g_cLibrary{&kMeta, "FakeMTLLibrary", cNSObject, sizeof(Library), [](Obj* o) { delete static_cast<Library*>(o)->source; }, {}, {}, true};
Class_* const cLibrary = &g_cLibrary;
Class_ g_cFunction{&kMeta, "FakeMTLFunction", cNSObject, sizeof(Function), [](Obj* o) { releaseObj(static_cast<Function*>(o)->name); }, {}, {}, true};
Class_* const cFunction = &g_cFunction;
Class_ g_cPipeline{&kMeta, "FakeMTLComputePipelineState", cNSObject, sizeof(Pipeline), nullptr, {}, {}, true};
Class_* const cPipeline = &g_cPipeline;
Class_ g_cEncoder{&kMeta, "FakeMTLComputeCommandEncoder", cNSObject, sizeof(Encoder), [](Obj* o) { releaseObj(static_cast<Encoder*>(o)->commandBuffer); }, {}, {}, true};
Class_* const cEncoder = &g_cEncoder;
Class_ g_cArray{&kMeta, "NSArray", cNSObject, sizeof(Array), nullptr, {}, {}, false};
Class_* const cArray = &g_cArray;

String* newString(const char* text) {
  auto* s = static_cast<String*>(allocObj(cString));
  s->text = strdup(text ? text : "");
  return s;
}
const char* utf8(Obj* s) {
  if (s == nullptr) return nullptr;
  if (s->isa == &fake_NSConstantString) return reinterpret_cast<ConstantString*>(s)->data;
  return static_cast<String*>(s)->text;
}
String* copyString(Obj* s) {  // a `copy` property setter
  if (s == nullptr) return nullptr;
  if (s->isa == cString) return static_cast<String*>(retainObj(s));
  return newString(utf8(s));
}
template <typename F> void* imp(F f) { return reinterpret_cast<void*>(+f); }

Obj* processInfoSingleton = nullptr;

std::mutex gKernelMutex;
std::map<std::string, fake::Kernel>& kernels() { static std::map<std::string, fake::Kernel> k; return k; }
std::atomic<int> gCommandBufferDelayMs{0};
std::string hex(const void* p) { char text[32]; std::snprintf(text, sizeof text, "%p", p); return text; }

struct Registrar {
  Registrar() {
    auto& o = cNSObject->methods;
    o["retain"] = imp([](Obj* s, SEL_) { return retainObj(s); });
    o["release"] = imp([](Obj* s, SEL_) { releaseObj(s); });
    o["autorelease"] = imp([](Obj* s, SEL_) { return autoreleaseObj(s); });
    o["init"] = imp([](Obj* s, SEL_) { record(s, "init"); return s; });
    o["copy"] = imp([](Obj* s, SEL_) { return retainObj(s); });
    o["respondsToSelector:"] = imp([](Obj* s, SEL_, Selector* q) -> bool {
      for (Class_* c = s->isa; c; c = c->super) if (c->methods.count(q->name)) return true;
      return false;
    });
    cNSObject->classMethods["alloc"] = imp([](Class_* c, SEL_) { return allocObj(c); });
    cNSObject->classMethods["new"] = imp([](Class_* c, SEL_) { return allocObj(c); });

    cString->classMethods["stringWithUTF8String:"] = imp([](Class_*, SEL_, const char* t) { return autoreleaseObj(newString(t)); });
    cString->classMethods["stringWithCString:encoding:"] = imp([](Class_*, SEL_, const char* t, U) { return autoreleaseObj(newString(t)); });
    cString->methods["UTF8String"] = imp([](Obj* s, SEL_) { return utf8(s); });
    fake_NSConstantString.super = cString;

    cError->methods["code"] = imp([](Error* e, SEL_) { return e->code; });
    cError->methods["localizedDescription"] = imp([](Error* e, SEL_) { return e->description; });

    cPool->methods["init"] = imp([](Pool* p, SEL_) { p->token = reinterpret_cast<size_t>(objc_autoreleasePoolPush()); return p; });
    cPool->methods["release"] = imp([](Pool* p, SEL_) { size_t t = p->token; releaseObj(p); objc_autoreleasePoolPop(reinterpret_cast<void*>(t)); });
    cPool->methods["drain"] = cPool->methods["release"];

    cProcessInfo->classMethods["processInfo"] = imp([](Class_*, SEL_) {
      if (!processInfoSingleton) { processInfoSingleton = allocObj(cProcessInfo); std::lock_guard<std::mutex> l(gMutex); gLive.erase(processInfoSingleton); }
      return processInfoSingleton;
    });
    struct Version { long major, minor, patch; };
    cProcessInfo->methods["operatingSystemVersion"] = imp([](Obj*, SEL_) { return Version{15, 5, 0}; });

    // https://developer.apple.com/documentation/foundation/nsarray: holds its items strongly.
    cArray->methods["count"] = imp([](Array* a, SEL_) -> U { return a->items->size(); });
    cArray->methods["objectAtIndex:"] = imp([](Array* a, SEL_, U i) -> Obj* {
      if (i >= a->items->size()) { violation("objectAtIndex: " + std::to_string(i) + " beyond the array"); return nullptr; }
      return (*a->items)[i];
    });
    cArray->dealloc = [](Obj* o) {
      auto* a = static_cast<Array*>(o);
      for (Obj* item : *a->items) releaseObj(item);
      delete a->items;
    };

    auto& d = cDescriptor->methods;
    d["setLabel:"] = imp([](Descriptor* s, SEL_, Obj* l) { record(s, "setLabel:"); Obj* old = s->label; s->label = copyString(l); releaseObj(old); });
    d["label"] = imp([](Descriptor* s, SEL_) { return s->label; });
    d["setInitialCapacity:"] = imp([](Descriptor* s, SEL_, U n) { record(s, "setInitialCapacity:"); s->capacity = n; });
    d["initialCapacity"] = imp([](Descriptor* s, SEL_) { return s->capacity; });

    auto& dev = cDevice->methods;
    dev["name"] = imp([](Device* s, SEL_) { record(s, "name"); return autoreleaseObj(newString("Fake Apple M-series GPU")); });
    dev["maxBufferLength"] = imp([](Device*, SEL_) -> U { return U{1} << 34; });
    dev["hasUnifiedMemory"] = imp([](Device*, SEL_) -> bool { return true; });
    dev["recommendedMaxWorkingSetSize"] = imp([](Device*, SEL_) -> uint64_t { return uint64_t{1} << 34; });
    // https://developer.apple.com/documentation/metal/mtldevice/supportsfamily(_:)
    dev["supportsFamily:"] = imp([](Device* s, SEL_, long family) -> bool {
      record(s, ("supportsFamily: " + std::to_string(family)).c_str());
      return family != 5001 || fake::knobs().supportsMetal3;
    });
    dev["newBufferWithLength:options:"] = imp([](Device* s, SEL_, U length, U options) -> Obj* {
      record(s, ("newBufferWithLength:options: " + std::to_string(length) + " opts=" + std::to_string(options)).c_str());
      if (length > fake::knobs().failBuffersAbove) return nullptr;
      auto* b = static_cast<Buffer*>(allocObj(cBuffer));
      // "Creates a buffer the method clears with zero values": fresh anonymous pages read as
      // zero and are not resident until written, which residentPages() observes.
      void* memory = mmap(nullptr, length == 0 ? 1 : length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      b->memory = memory == MAP_FAILED ? nullptr : memory;
      b->length = length;
      b->device = static_cast<Device*>(retainObj(s));
      b->options = options;
      return b;
    });
    dev["newCommandQueue"] = imp([](Device* s, SEL_) -> Obj* {
      record(s, "newCommandQueue");
      auto* q = static_cast<Queue*>(allocObj(cQueue));
      q->sets = new std::vector<Obj*>();
      q->order = new QueueOrder();
      q->device = static_cast<Device*>(retainObj(s));
      return q;
    });
    dev["newResidencySetWithDescriptor:error:"] = imp([](Device* s, SEL_, Descriptor* desc, Obj** error) -> Obj* {
      record(s, "newResidencySetWithDescriptor:error:");
      if (fake::knobs().failResidencySet) {
        if (error) {
          auto* e = static_cast<Error*>(allocObj(cError));
          e->code = 7;
          e->description = newString("fake: residency set refused");
          *error = autoreleaseObj(e);
        }
        return nullptr;
      }
      auto* r = static_cast<ResidencySet*>(allocObj(cSet));
      r->committed = new std::set<Obj*>();
      r->staged = new std::set<Obj*>();
      r->label = copyString(desc ? desc->label : nullptr);
      return r;
    });
    // https://developer.apple.com/documentation/metal/mtldevice/makelibrary(source:options:)
    dev["newLibraryWithSource:options:error:"] = imp([](Device* s, SEL_, Obj* source, Obj*, Obj** error) -> Obj* {
      record(s, "newLibraryWithSource:options:error:");
      const char* text = utf8(source);
      if (text == nullptr || std::strstr(text, "kernel void") == nullptr) {
        if (error) {
          auto* e = static_cast<Error*>(allocObj(cError));
          e->code = 1;
          e->description = newString("fake: the source declares no kernel function");
          *error = autoreleaseObj(e);
        }
        return nullptr;
      }
      auto* l = static_cast<Library*>(allocObj(cLibrary));
      l->source = new std::string(text);
      return l;
    });
    dev["newComputePipelineStateWithFunction:error:"] = imp([](Device* s, SEL_, Function* f, Obj**) -> Obj* {
      record(s, ("newComputePipelineStateWithFunction:error: " + std::string(utf8(f->name))).c_str());
      auto* p = static_cast<Pipeline*>(allocObj(cPipeline));
      p->kernel = f->kernel;
      return p;
    });
    cDevice->dealloc = [](Obj*) {};

    // A function exists when the source declares `kernel void NAME(` and a stand-in is registered.
    cLibrary->methods["newFunctionWithName:"] = imp([](Library* s, SEL_, Obj* name) -> Obj* {
      const std::string wanted = utf8(name);
      record(s, ("newFunctionWithName: " + wanted).c_str());
      if (s->source->find("kernel void " + wanted + "(") == std::string::npos) return nullptr;
      fake::Kernel kernel = nullptr;
      {
        std::lock_guard<std::mutex> l(gKernelMutex);
        auto it = kernels().find(wanted);
        if (it == kernels().end()) return nullptr;
        kernel = it->second;
      }
      auto* f = static_cast<Function*>(allocObj(cFunction));
      f->name = newString(wanted.c_str());
      f->kernel = kernel;
      return f;
    });
    cFunction->methods["name"] = imp([](Function* s, SEL_) { return s->name; });
    cPipeline->methods["maxTotalThreadsPerThreadgroup"] = imp([](Pipeline*, SEL_) -> U { return 1024; });

    auto& enc = cEncoder->methods;
    enc["setComputePipelineState:"] = imp([](Encoder* s, SEL_, Pipeline* p) {
      record(s, "setComputePipelineState:");
      s->commandBuffer->dispatches->emplace_back();
      s->current = &s->commandBuffer->dispatches->back();
      s->current->kernel = p->kernel;
      std::memset(&s->current->args, 0, sizeof s->current->args);
    });
    enc["setBuffer:offset:atIndex:"] = imp([](Encoder* s, SEL_, Buffer* b, U offset, U index) {
      record(s, ("setBuffer:offset:atIndex: " + hex(b) + " " + std::to_string(offset) + " " + std::to_string(index)).c_str());
      if (s->current == nullptr || index >= fake::KernelArgs::kSlots) { violation("setBuffer: before a pipeline or past slot 30"); return; }
      if (b != nullptr && offset > b->length) violation("setBuffer: offset past the buffer's length");
      s->current->args.buffers[index] = b == nullptr ? nullptr : static_cast<char*>(b->memory) + offset;
    });
    enc["setBytes:length:atIndex:"] = imp([](Encoder* s, SEL_, const void* bytes, U length, U index) {
      record(s, ("setBytes:length:atIndex: " + std::to_string(length) + " " + std::to_string(index)).c_str());
      if (s->current == nullptr || index >= fake::KernelArgs::kSlots) { violation("setBytes: before a pipeline or past slot 30"); return; }
      // Copied now, as Metal does; the slot points into the copy when the kernel runs.
      s->current->bytes.resize(fake::KernelArgs::kSlots);
      s->current->bytes[index].assign(static_cast<const unsigned char*>(bytes), static_cast<const unsigned char*>(bytes) + length);
    });
    enc["dispatchThreads:threadsPerThreadgroup:"] = imp([](Encoder* s, SEL_, MTLSizeValue grid, MTLSizeValue group) {
      record(s, ("dispatchThreads:threadsPerThreadgroup: " + std::to_string(grid.width * grid.height * grid.depth) + " " + std::to_string(group.width)).c_str());
      if (s->current == nullptr) { violation("dispatchThreads: before a pipeline"); return; }
      s->current->args.threads = grid.width * grid.height * grid.depth;
    });
    enc["endEncoding"] = imp([](Encoder* s, SEL_) { record(s, "endEncoding"); s->ended = true; s->current = nullptr; });

    auto& b = cBuffer->methods;
    b["contents"] = imp([](Buffer* s, SEL_) { return s->memory; });
    b["length"] = imp([](Buffer* s, SEL_) { return s->length; });
    b["allocatedSize"] = imp([](Buffer* s, SEL_) { return s->length; });
    // A GPU virtual address: the fake's GPU is the CPU, so it is the contents address plus a
    // fixed offset that keeps the two distinguishable in tests.
    b["gpuAddress"] = imp([](Buffer* s, SEL_) -> uint64_t { return reinterpret_cast<uintptr_t>(s->memory) + fake::kGpuAddressOffset; });
    cBuffer->dealloc = [](Obj* o) {
      auto* s = static_cast<Buffer*>(o);
      record(s, "dealloc");
      if (s->memory) munmap(s->memory, s->length == 0 ? 1 : s->length);
      releaseObj(s->device);
    };

    // The set holds its members strongly: staged adds and committed members are retained.
    auto& r = cSet->methods;
    r["addAllocation:"] = imp([](ResidencySet* s, SEL_, Obj* a) { record(s, "addAllocation:"); if (s->staged->insert(a).second) retainObj(a); });
    r["removeAllocation:"] = imp([](ResidencySet* s, SEL_, Obj* a) {
      record(s, "removeAllocation:");
      if (s->staged->erase(a)) releaseObj(a);
    });
    r["removeAllAllocations"] = imp([](ResidencySet* s, SEL_) {
      record(s, "removeAllAllocations");
      for (Obj* a : *s->staged) releaseObj(a);
      s->staged->clear();
    });
    r["commit"] = imp([](ResidencySet* s, SEL_) {
      record(s, "commit");
      gCommits++;
      for (Obj* a : *s->staged) retainObj(a);
      for (Obj* a : *s->committed) releaseObj(a);
      *s->committed = *s->staged;
    });
    r["requestResidency"] = imp([](ResidencySet* s, SEL_) { record(s, "requestResidency"); });
    r["endResidency"] = imp([](ResidencySet* s, SEL_) { record(s, "endResidency"); });
    r["allocationCount"] = imp([](ResidencySet* s, SEL_) -> U { return s->committed->size(); });
    cSet->dealloc = [](Obj* o) {
      auto* s = static_cast<ResidencySet*>(o);
      record(s, "dealloc");
      for (Obj* a : *s->staged) releaseObj(a);
      for (Obj* a : *s->committed) releaseObj(a);
      delete s->staged; delete s->committed;
      releaseObj(s->label);
    };

    auto& q = cQueue->methods;
    q["commandBuffer"] = imp([](Queue* s, SEL_) -> Obj* {
      record(s, ("commandBuffer queue=" + hex(s)).c_str());
      auto* c = static_cast<CommandBuffer*>(allocObj(cCommandBuffer));
      c->handlers = new std::vector<void*>();
      c->dispatches = new std::vector<Dispatch>();
      c->queue = static_cast<Queue*>(retainObj(s));
      return autoreleaseObj(c);
    });
    q["device"] = imp([](Queue* s, SEL_) -> Obj* { return s->device; });
    q["addResidencySet:"] = imp([](Queue* s, SEL_, Obj* set) {
      record(s, ("addResidencySet: queue=" + hex(s)).c_str());
      // "You can add up to 32 different residency sets to a command queue."
      if (static_cast<int>(s->sets->size()) >= fake::knobs().maxSetsPerQueue)
        violation("addResidencySet: a queue holds at most " + std::to_string(fake::knobs().maxSetsPerQueue) + " residency sets");
      s->sets->push_back(retainObj(set));
    });
    q["removeResidencySet:"] = imp([](Queue* s, SEL_, Obj* set) {
      record(s, ("removeResidencySet: queue=" + hex(s)).c_str());
      for (auto it = s->sets->begin(); it != s->sets->end(); ++it)
        if (*it == set) { s->sets->erase(it); releaseObj(set); return; }
      violation("removeResidencySet: the set was not attached");
    });
    cQueue->dealloc = [](Obj* o) {
      auto* s = static_cast<Queue*>(o);
      for (Obj* set : *s->sets) releaseObj(set);
      delete s->sets;
      delete s->order;
      releaseObj(s->device);
    };

    auto& c = cCommandBuffer->methods;
    c["setLabel:"] = imp([](CommandBuffer* s, SEL_, Obj* l) { Obj* old = s->label; s->label = copyString(l); releaseObj(old); });
    c["status"] = imp([](CommandBuffer* s, SEL_) { return s->status; });
    c["error"] = imp([](CommandBuffer* s, SEL_) -> Obj* {
      if (s->status != 5) return nullptr;
      auto* e = static_cast<Error*>(allocObj(cError));
      e->code = fake::knobs().commandBufferErrorCode;
      e->description = newString("fake: command buffer failed");
      return autoreleaseObj(e);
    });
    c["computeCommandEncoder"] = imp([](CommandBuffer* s, SEL_) -> Obj* {
      record(s, "computeCommandEncoder");
      auto* e = static_cast<Encoder*>(allocObj(cEncoder));
      e->commandBuffer = static_cast<CommandBuffer*>(retainObj(s));
      return autoreleaseObj(e);
    });
    c["waitUntilCompleted"] = imp([](CommandBuffer* s, SEL_) {
      record(s, "waitUntilCompleted");
      while (s->status != 4 && s->status != 5) std::this_thread::sleep_for(std::chrono::microseconds(100));
    });
    c["addCompletedHandler:"] = imp([](CommandBuffer* s, SEL_, void* block) { record(s, "addCompletedHandler:"); s->handlers->push_back(_Block_copy(block)); });
    c["commit"] = imp([](CommandBuffer* s, SEL_) {
      record(s, "commit");
      retainObj(s);  // a committed command buffer lives until it completes
      gPending++;
      const bool fail = fake::knobs().failCommandBuffer;
      // Command buffers of one queue run in commit order, as on the GPU: each waits for the
      // one committed before it on its queue.
      QueueOrder* order = s->queue->order;
      long ticket;
      { std::lock_guard<std::mutex> l(order->mutex); ticket = order->next++; }
      std::thread([s, fail, order, ticket] {
        {
          std::unique_lock<std::mutex> l(order->mutex);
          order->cv.wait(l, [&] { return order->done == ticket; });
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2 + gCommandBufferDelayMs.load()));
        for (Dispatch& d : *s->dispatches) {
          for (size_t i = 0; i < d.bytes.size(); ++i) if (!d.bytes[i].empty()) d.args.bytes[i] = d.bytes[i].data();
          if (d.kernel != nullptr && !fail) d.kernel(d.args);
        }
        s->status = fail ? 5 : 4;
        void* token = objc_autoreleasePoolPush();  // as a GCD worker does around each block
        tPools.back().reserve(64);  // so that autoreleasing in a handler allocates nothing here
        tCompletionThread = true;   // "Metal's thread": tests count what a handler allocates
        for (void* h : *s->handlers) reinterpret_cast<void (^)(Obj*)>(h)(s);
        tCompletionThread = false;
        objc_autoreleasePoolPop(token);
        for (void* h : *s->handlers) _Block_release(h);
        s->handlers->clear();
        { std::lock_guard<std::mutex> l(order->mutex); order->done++; }
        order->cv.notify_all();
        releaseObj(s);
        if (--gPending == 0) { std::lock_guard<std::mutex> l(gPendingMutex); gPendingCv.notify_all(); }
      }).detach();
    });
    cCommandBuffer->dealloc = [](Obj* o) {
      auto* s = static_cast<CommandBuffer*>(o);
      delete s->handlers;
      delete s->dispatches;
      releaseObj(s->label);
      releaseObj(s->queue);
    };
  }
} registrar;
}  // namespace

// GNUstep 2.0 class symbols for the classes the Objective-C++ file names directly.
extern "C" Class_* fake_ref_NSString asm("._OBJC_REF_CLASS_NSString");
Class_* fake_ref_NSString = cString;
extern "C" Class_* fake_ref_NSProcessInfo asm("._OBJC_REF_CLASS_NSProcessInfo");
Class_* fake_ref_NSProcessInfo = cProcessInfo;
extern "C" Class_* fake_ref_Descriptor asm("._OBJC_REF_CLASS_MTLResidencySetDescriptor");
Class_* fake_ref_Descriptor = cDescriptor;

extern "C" Class_* objc_lookUpClass(const char* name) {
  static const std::map<std::string, Class_*> classes = {
      {"NSString", cString}, {"NSAutoreleasePool", cPool}, {"NSProcessInfo", cProcessInfo},
      {"NSObject", cNSObject}, {"MTLResidencySetDescriptor", cDescriptor}};
  auto it = classes.find(name);
  return it == classes.end() ? nullptr : it->second;
}

// https://developer.apple.com/documentation/metal/mtlcreatesystemdefaultdevice()
// Counted: on a Mac with two GPUs, calling it switches the system to the discrete GPU.
extern "C" Obj* MTLCreateSystemDefaultDevice() {
  gCreateDefaultCalls++;
  if (fake::knobs().noDevice) return nullptr;
  return allocObj(cDevice);
}
// https://developer.apple.com/documentation/metal/mtlcopyalldevices(): a retained array of
// every device; an empty array (never nil) when there is none.
extern "C" Obj* MTLCopyAllDevices() {
  gCopyAllCalls++;
  auto* a = static_cast<Array*>(allocObj(cArray));
  a->items = new std::vector<Obj*>();
  a->deviceList = true;
  if (!fake::knobs().noDevice) a->items->push_back(allocObj(cDevice));
  return a;
}

namespace fake {
Knobs& knobs() { static Knobs k; return k; }
// Live objects, less a device list from MTLCopyAllDevices that only its owner holds and the
// devices only that list holds: the backend keeps that list for the process on purpose.
std::vector<std::string> leakedObjectClasses() {
  std::lock_guard<std::mutex> l(gMutex);
  std::set<Obj*> cached;
  for (Obj* o : gLive) {
    if (o->isa != cArray || !static_cast<Array*>(o)->deviceList || o->refs != 1) continue;
    cached.insert(o);
    for (Obj* d : *static_cast<Array*>(o)->items) if (d->refs == 1) cached.insert(d);
  }
  std::vector<std::string> out;
  for (Obj* o : gLive) if (!cached.count(o)) out.push_back(o->isa->name);
  return out;
}
long leakedObjects() { return static_cast<long>(leakedObjectClasses().size()); }
long liveObjects() { std::lock_guard<std::mutex> l(gMutex); return static_cast<long>(gLive.size()); }
std::vector<std::string> liveObjectClasses() {
  std::lock_guard<std::mutex> l(gMutex);
  std::vector<std::string> out;
  for (Obj* o : gLive) out.push_back(o->isa->name);
  return out;
}
std::vector<std::string>& violations() { return gViolations; }
std::vector<std::string> log() { std::lock_guard<std::mutex> l(gMutex); return gLog; }
void clearLog() { std::lock_guard<std::mutex> l(gMutex); gLog.clear(); }
int poolDepth() { return static_cast<int>(tPools.size()); }
long autoreleasedWithoutPool() { return gNoPool; }
long commits() { return gCommits; }
long residentPages(const void* memory, size_t length) {
  const long page = sysconf(_SC_PAGESIZE);
  const size_t pages = (length + page - 1) / page;
  std::vector<unsigned char> state(pages);
  if (mincore(const_cast<void*>(memory), length, state.data()) != 0) return -1;
  long resident = 0;
  for (unsigned char p : state) resident += p & 1;
  return resident;
}
bool onCompletionThread() { return tCompletionThread; }
void leakForTest() { allocObj(cDescriptor); }
void registerKernel(const char* name, Kernel kernel) {
  std::lock_guard<std::mutex> l(gKernelMutex);
  kernels()[name] = kernel;
}
void setCommandBufferDelayMs(int ms) { gCommandBufferDelayMs = ms; }
void* newCommandQueue(void* device) {
  Obj* owner = device != nullptr ? static_cast<Obj*>(device) : allocObj(cDevice);
  auto* q = static_cast<Queue*>(allocObj(cQueue));
  q->sets = new std::vector<Obj*>();
  q->order = new QueueOrder();
  q->device = static_cast<Device*>(device != nullptr ? retainObj(owner) : owner);
  return q;
}
void releaseObject(void* object) { releaseObj(static_cast<Obj*>(object)); }
long bufferOptions(const void* buffer) {
  std::lock_guard<std::mutex> l(gMutex);
  auto* o = static_cast<Obj*>(const_cast<void*>(buffer));
  if (gLive.count(o) == 0 || o->isa != cBuffer) return -1;
  return static_cast<long>(static_cast<Buffer*>(o)->options);
}
int queueResidencySets(void* queue) { return static_cast<int>(static_cast<Queue*>(queue)->sets->size()); }
long createSystemDefaultDeviceCalls() { return gCreateDefaultCalls; }
long copyAllDevicesCalls() { return gCopyAllCalls; }
long pendingCommandBuffers() { return gPending; }
void waitForCommandBuffers() {
  std::unique_lock<std::mutex> l(gPendingMutex);
  gPendingCv.wait_for(l, std::chrono::seconds(5), [] { return gPending.load() == 0; });
}
}  // namespace fake

// At exit: whatever is still wrong is printed; with MLX_FAKE_METAL_EXIT_CHECK=1 the process
// then exits with status 86, so a test that runs a child process fails on it.
namespace {
struct ExitCheck {
  ~ExitCheck() {
    const auto live = fake::leakedObjectClasses();
    const auto& broken = gViolations;
    if (live.empty() && broken.empty()) return;
    std::fprintf(stderr, "[fake-metal] at exit: %zu object(s) leaked, %zu violation(s)\n", live.size(), broken.size());
    std::map<std::string, int> byClass;
    for (const auto& name : live) byClass[name]++;
    for (const auto& entry : byClass) std::fprintf(stderr, "[fake-metal]   leaked: %s x%d\n", entry.first.c_str(), entry.second);
    for (const auto& v : broken) std::fprintf(stderr, "[fake-metal]   violation: %s\n", v.c_str());
    const char* strict = std::getenv("MLX_FAKE_METAL_EXIT_CHECK");
    if (strict != nullptr && std::strcmp(strict, "1") == 0) _exit(86);
  }
} exitCheck;
}  // namespace
