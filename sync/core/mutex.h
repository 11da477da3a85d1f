// A mutex whose lock rules the compiler checks: members are marked GUARDED_BY(mu_) and
// functions REQUIRES(mu_), and clang's -Wthread-safety (on in the clang build) refuses code
// that touches them without the lock. With other compilers the marks compile to nothing.
#pragma once

#include <mutex>

#if defined(__clang__)
#define MPP_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define MPP_THREAD_ANNOTATION_(x)
#endif

#define CAPABILITY(x) MPP_THREAD_ANNOTATION_(capability(x))
#define SCOPED_CAPABILITY MPP_THREAD_ANNOTATION_(scoped_lockable)
#define GUARDED_BY(x) MPP_THREAD_ANNOTATION_(guarded_by(x))
#define PT_GUARDED_BY(x) MPP_THREAD_ANNOTATION_(pt_guarded_by(x))
#define REQUIRES(...) MPP_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) MPP_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) MPP_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define RELEASE(...) MPP_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
// For code the analysis cannot follow (a callback run under a lock its caller holds).
#define NO_THREAD_SAFETY_ANALYSIS MPP_THREAD_ANNOTATION_(no_thread_safety_analysis)

namespace mpp {

class CAPABILITY("mutex") Mutex {
 public:
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

// Holds `mu` for its lifetime.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() RELEASE() { mu_.Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace mpp
