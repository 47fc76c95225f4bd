/**
 * Counters of a {@link SlabArena}. Held bytes are slab sizes; live bytes are the sizes of the
 * ranges handed out (a small class's cell, a large block rounded to the granule); requested bytes
 * are what callers asked for.
 */
export interface SlabArenaStats {
  /** Slabs held now (native allocations), and the most ever held at once. */
  slabCount: number;
  peakSlabCount: number;
  /** Slabs held at the moment `peakHeldBytes` was reached. */
  slabCountAtPeakHeld: number;
  heldBytes: number;
  peakHeldBytes: number;
  /** Ranges handed out and not yet freed. */
  liveCount: number;
  liveBytes: number;
  peakLiveBytes: number;
  requestedBytes: number;
  peakRequestedBytes: number;
  /** Free large blocks (in the segregated fit) and their bytes. */
  freeBlockCount: number;
  freeBlockBytes: number;
  /** Freed large blocks kept whole for a request of their size, and their bytes. */
  cachedBlockCount: number;
  cachedBlockBytes: number;
  /** Chunks of small cells, and spares among them (entirely free, kept for their class). */
  chunkCount: number;
  spareChunkCount: number;
  /** Native slab allocations made and freed since the arena was made. */
  slabAllocations: number;
  slabReleases: number;
  /** Allocations of memory never handed out before (reads as the slab's fresh memory). */
  freshAllocations: number;
  /** Allocations of memory handed out before (not re-zeroed). */
  recycledAllocations: number;
  frees: number;
  /** Errors `freeSlab` threw while a miss replaced free slabs (see `lastFreeSlabError`). */
  freeSlabErrors: number;
  /** Instrumentation of the O(1) claim: blocks looked at while searching, and free-list edits. */
  blocksExamined: number;
  freeListOperations: number;
}
