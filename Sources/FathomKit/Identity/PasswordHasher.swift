import HummingbirdBcrypt
import NIOPosix

/// bcrypt, run off the event loops: a hash costs tens to hundreds of milliseconds by design.
public struct PasswordHasher: Sendable {
    public let cost: Int

    public init(cost: Int) {
        self.cost = cost
    }

    public func hash(_ password: String) async throws -> String {
        let cost = UInt8(cost)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// Compared against when the username does not exist, so both paths take the same time.
    func dummyHash() async throws -> String {
        try await hash("not-a-real-password")
    }
}
