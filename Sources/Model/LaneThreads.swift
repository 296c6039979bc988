#if canImport(Glibc)
import Glibc
#endif

/// `count - 1` threads parked for the life of a model, which run a job beside the caller (lane 0,
/// on the caller's thread: MPI is initialised FUNNELED, so only it may call the collectives), and
/// a barrier across all `count`. Dedicated threads rather than a pool: the lanes wait for each
/// other, so every one of them must really run at once.
final class LaneThreads {
    let count: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let jobPosted = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let jobDone = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let released = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var threads: [pthread_t] = []
    private var job: ((Int) -> Void)?
    private var jobGeneration = 0
    private var unfinished = 0
    private var stopping = false
    private var running = false
    private var arrived = 0
    private var barrierGeneration = 0

    init(count: Int) {
        precondition(count >= 1, "LaneThreads needs at least one lane")
        self.count = count
        pthread_mutex_init(mutex, nil)
        for cond in [jobPosted, jobDone, released] { pthread_cond_init(cond, nil) }
        for lane in 1..<max(count, 1) {
            let context = Unmanaged.passRetained(WorkerContext(threads: self, lane: lane)).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                context.threads.work(lane: context.lane)
                return nil
            }, context)
            precondition(status == 0, "pthread_create failed (\(status)) starting lane \(lane)")
            threads.append(thread)
        }
    }

    /// Joins the threads; the owner calls it once, when it is done with them.
    func stop() {
        pthread_mutex_lock(mutex)
        precondition(!running, "LaneThreads.stop during a job")
        stopping = true
        pthread_cond_broadcast(jobPosted)
        pthread_mutex_unlock(mutex)
        for thread in threads { pthread_join(thread, nil) }
        threads = []
    }

    deinit {
        for cond in [jobPosted, jobDone, released] { pthread_cond_destroy(cond); cond.deallocate() }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// body(lane) for every lane at once, lane 0 on the calling thread; returns when all are done.
    func run(_ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            pthread_mutex_lock(mutex)
            // a nested run would reset `unfinished` while the lanes wait in barrier(): deadlock
            precondition(!running, "LaneThreads.run called from inside a job")
            running = true
            job = body
            jobGeneration += 1
            unfinished = count - 1
            pthread_cond_broadcast(jobPosted)
            pthread_mutex_unlock(mutex)
            body(0)
            pthread_mutex_lock(mutex)
            while unfinished > 0 { pthread_cond_wait(jobDone, mutex) }
            job = nil
            running = false
            pthread_mutex_unlock(mutex)
        }
    }

    /// Returns once every lane of the running job has called it.
    func barrier() {
        pthread_mutex_lock(mutex)
        let generation = barrierGeneration
        arrived += 1
        if arrived == count {
            arrived = 0
            barrierGeneration += 1
            pthread_cond_broadcast(released)
        } else {
            while generation == barrierGeneration { pthread_cond_wait(released, mutex) }
        }
        pthread_mutex_unlock(mutex)
    }

    private func work(lane: Int) {
        var seen = 0
        pthread_mutex_lock(mutex)
        while true {
            while jobGeneration == seen && !stopping { pthread_cond_wait(jobPosted, mutex) }
            if stopping { break }
            seen = jobGeneration
            let body = job!
            pthread_mutex_unlock(mutex)
            body(lane)
            pthread_mutex_lock(mutex)
            unfinished -= 1
            if unfinished == 0 { pthread_cond_signal(jobDone) }
        }
        pthread_mutex_unlock(mutex)
    }
}

private final class WorkerContext {
    let threads: LaneThreads
    let lane: Int
    init(threads: LaneThreads, lane: Int) {
        self.threads = threads
        self.lane = lane
    }
}
