import Foundation

/// Where the master key of a store lives, and its copy beside a backup (`FILE.key`, 0600).
struct MasterKeyCopy {
    /// `<dataDir>/secret.key`.
    let keyFile: String
    /// The key comes from `FATHOM_SECRET_KEY`, not from the file.
    let fromEnvironment: Bool

    init(configuration: FathomConfiguration) throws {
        keyFile = URL(fileURLWithPath: configuration.dataDir).appendingPathComponent("secret.key").path
        fromEnvironment = !(configuration.secretKey ?? "").isEmpty
    }

    func requireFile() throws {
        guard !fromEnvironment else {
            throw StoreBackupError.key("the master key comes from FATHOM_SECRET_KEY: keep it where that variable is kept (--with-key copies only a key file)")
        }
        guard FileManager.default.fileExists(atPath: keyFile) else { throw StoreBackupError.key("no key file at \(keyFile)") }
    }

    func copy(to target: String) throws -> String {
        guard !FileManager.default.fileExists(atPath: target) else { throw StoreBackupError.targetExists(target) }
        let data = try Data(contentsOf: URL(fileURLWithPath: keyFile))
        guard FileManager.default.createFile(atPath: target, contents: data, attributes: [.posixPermissions: StoreFiles.fileMode])
        else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: target]) }
        return target
    }

    func notice(copiedTo copy: String?) -> String {
        if let copy {
            return "The master key was copied to \(copy): keep it apart from the backup (whoever holds both reads every stored secret)."
        }
        if fromEnvironment {
            return "Stored secrets open only with the master key in FATHOM_SECRET_KEY: the backup does not contain it."
        }
        return "Stored secrets open only with the master key in \(keyFile), which the backup does not contain: back that file up separately (or use --with-key)."
    }

    /// Refuses (before anything changes) a key copy that is missing, or that differs from a key already installed
    /// unless `force`.
    func checkInstall(from source: String, force: Bool) throws {
        guard !fromEnvironment else {
            throw StoreBackupError.key("the master key comes from FATHOM_SECRET_KEY: set it to the backup's key instead of --with-key")
        }
        guard let incoming = FileManager.default.contents(atPath: source) else { throw StoreBackupError.missingFile(source) }
        if let current = FileManager.default.contents(atPath: keyFile), current != incoming, !force {
            throw StoreBackupError.notEmpty("a different master key exists at \(keyFile)")
        }
    }

    /// Installs the key copy as the data directory's key file; true when it was written.
    func install(from source: String) throws -> Bool {
        let data = try Data(contentsOf: URL(fileURLWithPath: source))
        if FileManager.default.contents(atPath: keyFile) == data { return true }
        let staged = keyFile + ".restore"
        guard FileManager.default.createFile(atPath: staged, contents: data, attributes: [.posixPermissions: StoreFiles.fileMode])
        else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: staged]) }
        guard rename(staged, keyFile) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: keyFile]) }
        return true
    }
}
