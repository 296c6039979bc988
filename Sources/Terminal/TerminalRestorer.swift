import CNcursesw
#if canImport(Glibc)
import Glibc
#endif

/// Gives the terminal back when the process ends without `restore()`: at exit, and on fatal
/// signals (a crash would otherwise leave the terminal raw and in the alternate screen, and
/// Swift's backtracer would draw into the curses screen and wait). SIGINT and SIGTERM are not
/// touched: the launcher owns them.
enum TerminalRestorer {
    /// The screen drawn on now and not yet restored (only one at a time).
    nonisolated(unsafe) static var active: OpaquePointer?
    nonisolated(unsafe) private static var installed = false

    // SIGTRAP too: Swift's runtime traps (a failed force-unwrap, fatalError) raise it on arm64.
    static let fatalSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP]

    /// Installs the exit and signal hooks once per process.
    static func installOnce() {
        guard !installed else { return }
        installed = true
        atexit { TerminalRestorer.restoreActive() }
        for signalNumber in fatalSignals { signal(signalNumber, restoreThenDie) }
    }

    /// Runs `body` (newterm) and puts SIGINT's and SIGTERM's handling back as it was: ncurses
    /// catches them when they are left at the default, and they belong to the launcher.
    static func keepingInterruptHandlers<T>(_ body: () -> T) -> T {
        var savedInterrupt = sigaction(), savedTerminate = sigaction()
        sigaction(SIGINT, nil, &savedInterrupt)
        sigaction(SIGTERM, nil, &savedTerminate)
        defer {
            sigaction(SIGINT, &savedInterrupt, nil)
            sigaction(SIGTERM, &savedTerminate, nil)
        }
        return body()
    }

    /// endwin on the active screen, if any (called from the hooks: no allocation here).
    static func restoreActive() {
        guard let screen = active else { return }
        active = nil
        set_term(screen)
        endwin()
    }
}

/// Restores the terminal, then lets the signal do what it does by default (core, exit status).
private func restoreThenDie(_ signalNumber: Int32) {
    TerminalRestorer.restoreActive()
    signal(signalNumber, SIG_DFL)
    raise(signalNumber)
}
