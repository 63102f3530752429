import Foundation

/// Keeps the data directory and the store's files private: the SQLite file and its WAL/SHM hold password hashes and
/// sealed secrets, the key file opens those secrets. Applied on every start, so existing installs are fixed too.
public enum StoreFiles {
    /// Files private to the server's user.
    public static let fileMode = 0o600

    /// The data directory's mode: 0700, except when Fathom runs as root and the local provider runs PostgreSQL as an
    /// unprivileged user that must pass through the directory to its instance directories; then 0711 (traverse
    /// only: nobody else can list it, and every store file is 0600 anyway).
    public static var directoryMode: Int { getuid() == 0 ? 0o711 : 0o700 }

    /// Creates the data directory if needed and makes it private.
    public static func secureDirectory(_ path: String) throws {
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) {
            try manager.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: directoryMode])
        }
        try manager.setAttributes([.posixPermissions: directoryMode], ofItemAtPath: path)
    }

    /// Creates an empty SQLite file 0600 before SQLite opens it (SQLite gives its WAL and SHM files the database
    /// file's mode), or narrows an existing one.
    public static func prepareDatabase(_ path: String) throws {
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) {
            guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: fileMode]) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
        }
        try secureFiles([path])
    }

    /// Narrows the database file and whatever WAL/SHM files exist (older installs created them 0644).
    public static func secureDatabaseFiles(_ path: String) throws {
        try secureFiles([path, path + "-wal", path + "-shm", path + "-journal"])
    }

    /// Sets 0600 on each existing file.
    public static func secureFiles(_ paths: [String]) throws {
        for path in paths where FileManager.default.fileExists(atPath: path) {
            try FileManager.default.setAttributes([.posixPermissions: fileMode], ofItemAtPath: path)
        }
    }
}
