/* slotmap_shim.h: the slot -> worker table, for the C++ tests. */
#ifndef TESSERA_SLOTMAP_SHIM_H
#define TESSERA_SLOTMAP_SHIM_H
#ifdef __cplusplus
extern "C" {
#endif
void slotmap_shim_setup(int nworkers);
/* Mark slots [a, b] owned (and every other slot not owned), then apply. */
void slotmap_shim_own_ranges(const int *ranges, int nranges);
int slotmap_shim_worker(int slot);
#ifdef __cplusplus
}
#endif
#endif
