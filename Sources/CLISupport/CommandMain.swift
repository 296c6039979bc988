import CStdio
import ArgumentParser
import Foundation
import RunSpec

/// The entry point of both executables: parses, runs, and ends every failure the same way: one
/// line on stderr, `name: what is wrong`, and the status of its class (`RunSpec.ExitStatus`).
/// ArgumentParser's own ending would print its usage block after a mistake and exit 64.
public enum CommandMain {
    /// - Parameters:
    ///   - arguments: the command line without the program name.
    ///   - reportsErrors: false on ranks other than 0, so a mistake is said once per job.
    ///   - tracing: adds to a refusal's line where the input came from (a `--config` file's key).
    public static func run<Root: ParsableCommand>(_ root: Root.Type, name: String, arguments: [String],
                                                  reportsErrors: Bool = true,
                                                  tracing: (String) -> String = { $0 }) -> Never {
        do {
            var command = try root.parseAsRoot(arguments)
            try command.run()
            exit(ExitStatus.success.rawValue)
        } catch {
            let (status, said) = ending(of: error, root: root)
            guard let said else { root.exit(withError: error) }  // --help and friends: ArgumentParser prints them
            let line = status == ExitStatus.refused.rawValue ? tracing(said) : said
            if reportsErrors {
                fputs("\(name): \(line)\n", mt_stderr())
            } else {
                // The other ranks wait: mpirun tears the job down at the first non-zero exit,
                // which could otherwise cut rank 0 off before its line is out.
                usleep(500_000)
            }
            exit(status)
        }
    }

    /// The status and the line for `error`; a nil line for what ArgumentParser ends itself
    /// (help, version: status 0).
    static func ending<Root: ParsableCommand>(of error: Error, root: Root.Type) -> (Int32, String?) {
        if let exit = error as? ExitCode {
            return (exit.rawValue, nil)
        }
        if let refused = error as? InputError { return (ExitStatus.refused.rawValue, refused.description) }
        let code = root.exitCode(for: error)
        if code == .success { return (0, nil) }
        if code == .validationFailure {
            // A parse or validate() error: ArgumentParser's message, on one line.
            return (ExitStatus.refused.rawValue, ErrorText.flattened(root.message(for: error)))
        }
        return (ExitStatus.failed.rawValue, ErrorText.line(error))
    }

    /// `ExitCode` for a status of the table.
    public static func exitCode(_ status: ExitStatus) -> ExitCode { ExitCode(status.rawValue) }
}

extension CommandMain {
    /// Ends the process for an input refused before parsing (e.g. a `--config` file).
    public static func refuse(name: String, _ error: Error) -> Never {
        fputs("\(name): \(ErrorText.line(error))\n", mt_stderr())
        exit(ExitStatus.refused.rawValue)
    }
}

extension CommandMain {
    /// `body` for a command's `validate()`: what it throws becomes a ValidationError of the same
    /// one line (ArgumentParser reports any other error thrown there as "unexpected error").
    public static func validating<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as ValidationError { throw error } catch {
            throw ValidationError(ErrorText.line(error))
        }
    }
}
