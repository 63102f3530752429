/// Server settings derived from an instance's resources, written to `fathom.conf` in each data directory.
enum LocalSettings {
    static func render(resources: Resources, port: Int, socketDirectory: String, extra: [(String, String)] = []) -> String {
        let memoryMB = resources.memory_gb * 1024
        let maxConnections = max(100, 50 * resources.cpu)
        let settings: [(String, String)] = [
            ("listen_addresses", "'127.0.0.1'"),
            ("port", String(port)),
            ("unix_socket_directories", "'\(socketDirectory)'"),
            // A quarter of memory for shared buffers, three quarters assumed available as cache.
            ("shared_buffers", "'\(max(32, memoryMB / 4))MB'"),
            ("effective_cache_size", "'\(max(64, memoryMB * 3 / 4))MB'"),
            ("max_connections", String(maxConnections)),
            ("work_mem", "'\(max(4, memoryMB / (maxConnections * 4)))MB'"),
            ("maintenance_work_mem", "'\(max(64, memoryMB / 16))MB'"),
            ("max_worker_processes", String(max(8, resources.cpu * 2))),
            ("max_parallel_workers", String(max(2, resources.cpu))),
            // Streaming standbys, base backups and pg_rewind.
            ("wal_level", "replica"), ("max_wal_senders", "10"), ("max_replication_slots", "10"), ("hot_standby", "on"),
            ("wal_log_hints", "on"), ("wal_keep_size", "'256MB'"),
        ] + extra
        return "# Written by Fathom from the instance's resources; changes here are overwritten.\n"
            + settings.map { "\($0.0) = \($0.1)" }.joined(separator: "\n") + "\n"
    }
}
