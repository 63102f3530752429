import FathomKit
import Foundation

/// A throwaway CA and a server certificate it signed for 127.0.0.1/localhost, made with the system's `openssl`
/// (Debian ships it) once per test process: the collectors' TLS checks run against real certificates.
struct TestCertificates: Sendable {
    let directory: URL
    var caPath: String { directory.appendingPathComponent("ca.pem").path }
    var certificatePath: String { directory.appendingPathComponent("server.pem").path }
    var keyPath: String { directory.appendingPathComponent("server.key").path }

    /// The CA the fixture's certificate chains to, and a second, unrelated CA (for "wrong CA" tests).
    static func shared() async throws -> (issuer: TestCertificates, other: TestCertificates) { try await made.value.get() }

    private static let made = Task<Result<(issuer: TestCertificates, other: TestCertificates), HarnessFailure>, Never> {
        do {
            return .success((try await make("issuer"), try await make("other")))
        } catch let failure as HarnessFailure {
            return .failure(failure)
        } catch {
            return .failure(HarnessFailure("certificates: \(error)"))
        }
    }

    private static func make(_ name: String) async throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-certs-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
            .write(to: directory.appendingPathComponent("ext.cnf"), atomically: true, encoding: .utf8)
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await openssl(["req", "-x509"] + curve + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Fathom test CA \(name)"], in: directory)
        try await openssl(["req"] + curve + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"], in: directory)
        try await openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
                     "-days", "2", "-extfile", "ext.cnf"], in: directory)
        return TestCertificates(directory: directory)
    }

    /// Runs openssl in `directory` (through the shell, whose `cd` sets it: the files are named relative to it).
    private static func openssl(_ arguments: [String], in directory: URL) async throws {
        let result = try await Subprocess.run("/bin/sh", ["-c", "cd \"$0\" && exec /usr/bin/openssl \"$@\"", directory.path] + arguments)
        guard result.status == 0 else { throw HarnessFailure("openssl \(arguments.first ?? "") failed: \(result.output.suffix(1000))") }
    }
}
