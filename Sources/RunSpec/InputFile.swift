import Foundation

/// Checks of the files and folders a command's inputs name, made before anything starts, so a
/// wrong path is refused in one line that names the option and the path.
public enum InputFile {
    /// A regular file this process can read; not empty unless `allowEmpty`.
    /// `input` names it in the message, e.g. "--data /tmp/x.txt".
    public static func requireReadable(_ path: String, _ input: String, allowEmpty: Bool = false) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw InputError("\(input): \(reason(errno, "file"))") }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw InputError("\(input): is a folder, expected a file")
        default: throw InputError("\(input): is not a regular file")
        }
        guard access(path, R_OK) == 0 else { throw InputError("\(input): cannot be read (\(reason(errno)))") }
        if !allowEmpty && info.st_size == 0 { throw InputError("\(input): is empty") }
    }

    /// A path a file can be written to: its folder exists and is writable, and it is not a folder.
    public static func requireWritable(_ path: String, _ input: String) throws {
        var info = stat()
        if stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR {
            throw InputError("\(input): is a folder, expected a file to write")
        }
        // The folder as the user wrote it ("." for a bare name), not resolved against the cwd.
        let parent = (path as NSString).deletingLastPathComponent
        let folder = parent.isEmpty ? "." : parent
        guard stat(folder, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw InputError("\(input): its folder \(folder) does not exist")
        }
        guard access(folder, W_OK) == 0 else { throw InputError("\(input): cannot write in \(folder) (\(reason(errno)))") }
    }

    /// A folder, or nothing yet (it is created when needed); not a file.
    public static func requireFolderOrAbsent(_ path: String, _ input: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw InputError("\(input): is a file, expected a folder") }
    }

    /// An existing folder.
    public static func requireFolder(_ path: String, _ input: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw InputError("\(input): \(reason(errno, "folder"))") }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw InputError("\(input): is a file, expected a folder") }
    }

    /// strerror's reason, lowercased; for ENOENT, "no such file" or "no such folder" (`what`).
    static func reason(_ code: Int32, _ what: String = "file") -> String {
        code == ENOENT ? "no such \(what)" : String(cString: strerror(code)).lowercased()
    }
}
