// splitmix64: a bijective 64-bit mix. Used wherever the project needs reproducible "random"
// order or draws that do not depend on thread scheduling: the dataset split (which
// tools/datasets.py implements identically) and the Poisson encoder.
#pragma once

#include <cstdint>

namespace loihisim {

constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace loihisim
