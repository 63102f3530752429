#if canImport(Glibc)
import Glibc
#endif

/// The process's open-file limit (`ulimit -n`): every HTTP connection costs a descriptor, and a server that runs out
/// cannot accept, open the store or start a subprocess.
public enum DescriptorLimit {
    /// Raises the soft limit towards `wanted` (up to the hard limit); the soft limit in force afterwards.
    @discardableResult
    public static func raise(toAtLeast wanted: Int) -> Int {
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limits = rlimit()
        guard getrlimit(resource, &limits) == 0 else { return 0 }
        if limits.rlim_cur < rlim_t(wanted) {
            var raised = limits
            raised.rlim_cur = min(rlim_t(wanted), limits.rlim_max)
            if setrlimit(resource, &raised) == 0 { limits = raised }
        }
        return Int(clamping: limits.rlim_cur)
        #else
        return wanted
        #endif
    }
}
