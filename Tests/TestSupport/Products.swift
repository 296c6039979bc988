import Foundation

/// Where the package's built executables and shipped files are, seen from a running test.
public enum Products {
    /// The folder holding the test bundle, which is also where SwiftPM puts the executables.
    public static let directory: URL = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return bundle.deletingLastPathComponent()
    }()

    /// The path of a built executable; fails the calling test with a hint when it is missing.
    public static func executable(_ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestSupportError("\(name) is not built at \(path): run `swift build --build-tests` first (scripts/test.sh does)")
        }
        return path
    }

    /// The repository's root (the folder with Package.swift).
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// A file shipped in the repository's data/ folder.
    public static func dataFile(_ name: String) -> String {
        packageRoot.appendingPathComponent("data").appendingPathComponent(name).path
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
