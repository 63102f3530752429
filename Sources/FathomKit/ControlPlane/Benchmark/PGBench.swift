import Foundation
import PostgresNIO

/// PostgreSQL's own load generator (`pgbench`, installed beside the server) against one instance, with its
/// per-second progress read back as (seconds since start, transactions per second).
struct PGBench: Sendable {
    typealias Progress = [(second: Double, tps: Double)]

    let path: String
    let connection: [String]
    let environment: [String: String]

    init(target: PostgresSession.Target, version: String) throws {
        guard let directory = PostgresBinaries.discover().directories[version],
            FileManager.default.isExecutableFile(atPath: "\(directory)/pgbench")
        else { throw AppError(.engineNotSupported, "pgbench for PostgreSQL \(version) is not installed") }
        path = "\(directory)/pgbench"
        connection = ["-h", target.host, "-p", String(target.port), "-U", target.username, target.database]
        environment = ProcessInfo.processInfo.environment.merging(["PGPASSWORD": target.password]) { _, new in new }
    }

    func initialize(scale: Int) async throws {
        let result = try await Subprocess.run(path, ["-i", "-q", "-s", String(scale)] + connection, environment: environment)
        guard result.status == 0 else { throw AppError(.jobFailed, "pgbench -i failed: \(result.output.suffix(400))") }
    }

    /// Starts the TPC-B-like load with `clients` connections, at full speed or `rate` transactions per second.
    func startLoad(clients: Int, rate: Int?, seconds: Int) throws -> Load {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-pgbench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var arguments = ["-c", String(clients), "-j", String(min(clients, 2)), "-T", String(seconds), "-P", "1"]
        if let rate { arguments += ["-R", String(rate)] }
        let (path, environment) = (self.path, self.environment)
        let task = Task {
            try await Subprocess.run(
                path, arguments + connection, environment: environment, stdinPath: nil, stdoutPath: "\(directory)/out",
                stderrPath: "\(directory)/progress", stdoutLimit: 1 << 20)
        }
        return Load(task: task, directory: directory)
    }

    /// A running pgbench.
    struct Load: Sendable {
        let task: Task<Int32, any Error>
        let directory: String

        /// Waits for the run to end by itself.
        func finish() async throws -> Progress {
            let status = try await task.value
            guard status == 0 else { throw AppError(.jobFailed, "pgbench exited \(status): \(output())") }
            return progress()
        }

        /// Ends the run now (its process group is terminated).
        func stop() async throws -> Progress {
            task.cancel()
            _ = try? await task.value
            return progress()
        }

        private func output() -> String { (try? String(contentsOfFile: "\(directory)/progress", encoding: .utf8))?.suffix(400).description ?? "" }

        private func progress() -> Progress {
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let text = (try? String(contentsOfFile: "\(directory)/progress", encoding: .utf8)) ?? ""
            // "progress: 12.0 s, 1234.5 tps, lat 1.6 ms stddev 0.4, 0 failed"
            return text.split(separator: "\n").compactMap { line in
                let fields = line.split(separator: " ")
                guard fields.count > 4, fields[0] == "progress:", let second = Double(fields[1]),
                    let tps = Double(fields[3]), fields[4].hasPrefix("tps")
                else { return nil }
                return (second, tps)
            }
        }
    }

    /// The lowest mean over `seconds` consecutive per-second figures in [from, to] (the whole window's mean if shorter).
    static func worstWindowTPS(_ progress: Progress, seconds: Int, from: Double, to: Double) -> Double {
        let window = progress.filter { $0.second >= from && $0.second <= to }.map(\.tps)
        guard window.count > seconds else { return meanTPS(progress, from: from, to: to) }
        return (0...(window.count - seconds)).map { window[$0..<($0 + seconds)].reduce(0, +) / Double(seconds) }.min() ?? 0
    }

    /// The mean of the per-second figures whose second falls in [from, to].
    static func meanTPS(_ progress: Progress, from: Double, to: Double) -> Double {
        let window = progress.filter { $0.second >= from && $0.second <= to }.map(\.tps)
        return window.isEmpty ? 0 : window.reduce(0, +) / Double(window.count)
    }
}
