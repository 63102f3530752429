import Crypto
import Foundation

/// Encrypts secrets at rest with AES-GCM under the master key; only ciphertext reaches the store.
public struct SecretBox: @unchecked Sendable {  // SymmetricKey is immutable
    private let key: SymmetricKey
    private static let prefix = "v1:"

    public init(key: SymmetricKey) {
        self.key = key
    }

    /// The master key from `FATHOM_SECRET_KEY` (base64 of 32 bytes, or any passphrase, hashed), else from
    /// `<dataDir>/secret.key`, which is created with mode 0600 on first use.
    public static func load(environmentKey: String?, dataDir: String) throws -> SecretBox {
        if let environmentKey, !environmentKey.isEmpty {
            if let raw = Data(base64Encoded: environmentKey), raw.count == 32 {
                return SecretBox(key: SymmetricKey(data: raw))
            }
            return SecretBox(key: SymmetricKey(data: SHA256.hash(data: Data(environmentKey.utf8))))
        }
        let path = URL(fileURLWithPath: dataDir).appendingPathComponent("secret.key").path
        if let text = try? String(contentsOfFile: path, encoding: .utf8),
            let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32
        {
            // An older install may have a key file others can read: narrow it on every start.
            try StoreFiles.secureFiles([path])
            return SecretBox(key: SymmetricKey(data: raw))
        }
        try StoreFiles.secureDirectory(dataDir)
        let key = SymmetricKey(size: .bits256)
        let encoded = key.withUnsafeBytes { Data($0).base64EncodedString() }
        guard FileManager.default.createFile(
            atPath: path, contents: Data(encoded.utf8), attributes: [.posixPermissions: 0o600])
        else { throw SecretError.keyFileUnwritable(path) }
        return SecretBox(key: key)
    }

    /// A key for one purpose (e.g. signing page tokens), derived so the master key itself is never used twice.
    public func derivedKey(purpose: String) -> SymmetricKey {
        SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data(purpose.utf8), using: key))
    }

    /// Hex HMAC-SHA256 of `message` under the key derived for `purpose`: a digest nobody without the master key can
    /// recompute (or test guesses against).
    public func mac(_ message: String, purpose: String) -> String {
        TextFormat.hex(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: derivedKey(purpose: purpose)))
    }

    public func seal(_ plaintext: String) throws -> String {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key)
        guard let combined = box.combined else { throw SecretError.sealFailed }
        return Self.prefix + combined.base64EncodedString()
    }

    public func open(_ sealed: String) throws -> String {
        guard sealed.hasPrefix(Self.prefix), let data = Data(base64Encoded: String(sealed.dropFirst(Self.prefix.count)))
        else { throw SecretError.malformed }
        let plaintext = try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key)
        guard let text = String(data: plaintext, encoding: .utf8) else { throw SecretError.malformed }
        return text
    }
}

public enum SecretError: Error {
    case keyFileUnwritable(String)
    case sealFailed
    case malformed
}

/// Random tokens, digests and comparisons for credentials.
public enum Secrets {
    /// URL-safe random text with `bytes` bytes of entropy.
    public static func randomToken(bytes: Int = 32) -> String {
        let key = SymmetricKey(size: SymmetricKeySize(bitCount: bytes * 8))
        return key.withUnsafeBytes { TextFormat.base64URL($0) }
    }

    /// Lower-case hex SHA-256: how high-entropy credentials (session ids, API tokens) are stored.
    public static func sha256Hex(_ text: String) -> String {
        TextFormat.hex(SHA256.hash(data: Data(text.utf8)))
    }

    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
