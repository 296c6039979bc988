/// A refused input. Its description is the whole message: one line that names the input (the
/// option and its value, the file, the config key) and says what is wrong with it.
public struct InputError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) { self.description = description }

    /// Runs `body`, turning anything it throws into an `InputError` with the same text: for the
    /// checks a command makes of its inputs before it starts, whatever module's error they raise.
    public static func refusing<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as InputError { throw error } catch {
            throw InputError(ErrorText.line(error))
        }
    }
}
