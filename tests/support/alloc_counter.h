// Counts heap allocations in a scope: replaces the global operator new and, on glibc, malloc,
// calloc and realloc (Eigen allocates with std::malloc); under AddressSanitizer, hooks its
// allocator instead. Include it in exactly one translation unit of a test executable.
#pragma once

#include <cstdlib>
#include <new>

namespace neurokin::test {
inline long g_allocations = 0;
inline bool g_counting = false;
inline void note_allocation() {
  if (g_counting) ++g_allocations;
}
inline void* volatile g_sink = nullptr;  // keeps the sanity allocations from being optimised away

// counts allocations from construction to stop()
struct AllocationCounter {
  AllocationCounter() {
    g_allocations = 0;
    g_counting = true;
  }
  ~AllocationCounter() { g_counting = false; }
  long stop() {
    g_counting = false;
    return g_allocations;
  }
};
}  // namespace neurokin::test

#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer owns malloc and operator new (replacing them stops it at start-up): its
// allocation hook counts instead, every malloc, calloc, realloc and new included
extern "C" int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void*, std::size_t), void (*free_hook)(const volatile void*));
namespace neurokin::test {
inline void on_malloc(const volatile void*, std::size_t) { note_allocation(); }
inline void on_free(const volatile void*) {}
inline const int g_hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}  // namespace neurokin::test
#else
// gcc pairs its builtin operator new with these frees; with the replacement they do match
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  neurokin::test::note_allocation();
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#if defined(__GLIBC__)
// glibc supports replacing malloc; Eigen allocates with std::malloc, not operator new
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* malloc(std::size_t n) noexcept {
  neurokin::test::note_allocation();
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) noexcept {
  neurokin::test::note_allocation();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) noexcept {
  neurokin::test::note_allocation();
  return __libc_realloc(p, n);
}
}
#endif  // __GLIBC__
#endif  // __SANITIZE_ADDRESS__
