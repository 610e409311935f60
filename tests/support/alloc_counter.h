// Counts heap allocations in a scope: replaces the global operator new for the test binary
// that includes this header (include it in exactly one translation unit).
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

namespace neurokin::test {
inline std::atomic<long> g_allocations{0};
struct AllocationCount {
  long start = g_allocations.load();
  long count() const { return g_allocations.load() - start; }
};
}  // namespace neurokin::test

void* operator new(std::size_t n) {
  ++neurokin::test::g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
