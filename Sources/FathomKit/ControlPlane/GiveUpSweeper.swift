import Logging
import ServiceLifecycle

/// Finishes give-ups that a crash interrupted: job recovery fails an operation's job and only then releases its
/// instance or backup, so a server killed in between would leave the instance CREATING (or a backup RUNNING) for
/// ever. Every few seconds this releases them again (the release is idempotent, so two replicas may both do it).
final class GiveUpSweeper: Service, Sendable {
    let plane: ControlPlane
    let logger: Logger
    let interval: Duration

    init(plane: ControlPlane, logger: Logger, interval: Duration = .seconds(5)) {
        self.plane = plane
        self.logger = logger
        self.interval = interval
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let released = try await self.plane.releaseGivenUp()
                    if released > 0 {
                        self.logger.warning("released instances and backups of operations given up before a crash", metadata: ["operations": .stringConvertible(released)])
                    }
                } catch {
                    self.logger.warning("releasing given-up operations failed", metadata: ["error": .string("\(type(of: error))")])
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }
}
