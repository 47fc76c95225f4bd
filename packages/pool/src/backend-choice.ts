import { describeValue, MlxError } from "@mlx/errors";
import { BACKEND_NAMES, type BackendName, backendStatus } from "@mlx/metal-native";

/** What `MlxDevice.open({ backend })` accepts: `auto` or a backend name. */
export const BACKEND_CHOICES = ["auto", ...BACKEND_NAMES] as const;

/** One of {@link BACKEND_CHOICES}. */
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

const CHOICES: readonly string[] = BACKEND_CHOICES;
const NAMES: readonly string[] = BACKEND_NAMES;

/**
 * The backend `requested` means. `auto` is `MLX_BACKEND` when that is set (and not `auto`),
 * else Metal where it is available, else host. Throws `INVALID_ARGUMENT` for an unknown name,
 * whether given or in `MLX_BACKEND`.
 */
export function chooseBackend(requested: unknown, where: string): BackendName {
  if (!CHOICES.includes(requested as string)) {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `${where}: unknown backend ${describeValue(requested)}; known: ${CHOICES.join(", ")}`,
      { value: requested },
    );
  }
  if (requested !== "auto") return requested as BackendName;
  const fromEnv = process.env.MLX_BACKEND;
  if (fromEnv !== undefined && fromEnv !== "" && fromEnv !== "auto") {
    if (!NAMES.includes(fromEnv)) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `MLX_BACKEND=${fromEnv} is not one of ${NAMES.join(", ")}`,
        { value: fromEnv },
      );
    }
    return fromEnv as BackendName;
  }
  return backendStatus().some((b) => b.name === "metal" && b.available) ? "metal" : "host";
}
