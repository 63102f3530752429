import Foundation

/// Test-only crash injection: `FATHOM_FAULT=<step>` (e.g. `restore.after-move-aside`) kills the process with SIGKILL
/// when an operation reaches that step on its first run, so crash tests can stop `fathom serve` at an exact point.
/// Inert unless the variable is set. Read from the environment rather than the configuration on purpose: no flag or
/// config file can turn it on. Later runs (the recovery) pass through, so recovery itself is never killed.
enum FaultPoint {
    static let armed: String? = ProcessInfo.processInfo.environment["FATHOM_FAULT"].flatMap { $0.isEmpty ? nil : $0 }

    static func reach(_ step: String, attempt: Int) {
        guard let armed, armed == step, attempt <= 1 else { return }
        FileHandle.standardError.write(Data("FATHOM_FAULT: killing the process at \(step)\n".utf8))
        kill(getpid(), SIGKILL)
    }
}
