import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs an exec collector: the request on its stdin, stdout and stderr captured to private files, a timeout that
/// kills the whole process group, and a stdout size limit.
struct CollectorProcess: Sendable {
    var command: String
    var arguments: [String]
    var timeout: Duration
    var maxOutputBytes: Int64
    var environment: [String: String]

    struct Output: Sendable {
        var status: Int32
        var stdout: Data
        /// The last 64 KiB of stderr (not yet redacted).
        var stderrTail: String
    }

    /// A failure before there is any output to interpret.
    enum Failure: Error {
        case cannotStart(String)
        case timedOut
        case outputTooLarge(Int64)
    }

    func run(request: Data) async throws -> Output {
        // A private directory: the request holds the decrypted credential, so it is readable by this user only and
        // unlinked as soon as the child has opened it.
        var template = Array((NSTemporaryDirectory() + "/fathom-collector-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw Failure.cannotStart("cannot create a private temporary directory") }
        let directory = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let requestPath = directory + "/request.json"
        let stdoutPath = directory + "/stdout"
        let stderrPath = directory + "/stderr"
        guard FileManager.default.createFile(atPath: requestPath, contents: request, attributes: [.posixPermissions: 0o600]) else {
            throw Failure.cannotStart("cannot write the collector request")
        }
        guard FileManager.default.isExecutableFile(atPath: command) else {
            throw Failure.cannotStart("\(command) does not exist or is not executable")
        }
        let status = try await withThrowingTaskGroup(of: Int32?.self) { group in
            group.addTask {
                do {
                    return try await Subprocess.run(
                        command, arguments, environment: environment, stdinPath: requestPath, stdoutPath: stdoutPath,
                        stderrPath: stderrPath, stdoutLimit: maxOutputBytes, killGrace: .seconds(2)
                    ) { _ in unlink(requestPath) }
                } catch let error as Subprocess.LaunchError {
                    throw Failure.cannotStart(error.description)
                } catch let error as Subprocess.OutputLimitExceeded {
                    throw Failure.outputTooLarge(error.limit)
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            // Cancelling the collector's task kills its process group; the group waits until it is reaped.
            group.cancelAll()
            guard let status = first else { throw Failure.timedOut }
            return status
        }
        let stdout = (try? Data(contentsOf: URL(fileURLWithPath: stdoutPath))) ?? Data()
        return Output(status: status, stdout: stdout, stderrTail: Self.tail(stderrPath, bytes: 65_536))
    }

    static func tail(_ path: String, bytes: Int) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > UInt64(bytes) ? size - UInt64(bytes) : 0)
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }
}

/// Masks credential values wherever collector output is kept (stderr excerpt, reported errors and warnings).
struct Redactor: Sendable {
    let secrets: [String]

    init(credential: [String: String]?) {
        // Longest first, so a secret containing another is masked whole.
        secrets = (credential ?? [:]).values.filter { $0.count >= 3 }.sorted { $0.count > $1.count }
    }

    func text(_ value: String) -> String {
        secrets.reduce(value) { $0.replacingOccurrences(of: $1, with: "***") }
    }

    func json(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): return .string(self.text(text))
        case .array(let items): return .array(items.map(json))
        case .object(let object): return .object(object.mapValues(json))
        default: return value
        }
    }

    /// The last `limit` characters of stderr, masked.
    func excerpt(_ stderr: String, limit: Int = 4000) -> String? {
        let masked = text(stderr)
        guard !masked.isEmpty else { return nil }
        return masked.count > limit ? "…" + String(masked.suffix(limit)) : masked
    }
}
