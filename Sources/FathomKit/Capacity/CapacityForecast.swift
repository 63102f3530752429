import Foundation

/// The growth trend of one subject over a window of daily samples and when it reaches its storage limit: a
/// least-squares line through (day, size), projected from the latest sample. A database shares its instance's
/// volume, so its limit is the instance's `storage_gb`; the instance row says when the volume itself fills.
struct CapacityForecast: Sendable {
    var samples: [ForecastStore.Sample]

    /// Bytes per day of the fitted line; nil with fewer than two days.
    var slope: Double? {
        guard samples.count >= 2, let origin = samples.first.map({ PeriodMath.date($0.day) }) else { return nil }
        let xs = samples.map { PeriodMath.date($0.day).timeIntervalSince(origin) / 86_400 }
        let ys = samples.map { Double($0.bytes) }
        let meanX = xs.reduce(0, +) / Double(xs.count), meanY = ys.reduce(0, +) / Double(ys.count)
        let denominator = xs.reduce(0) { $0 + ($1 - meanX) * ($1 - meanX) }
        guard denominator > 0 else { return nil }
        return zip(xs, ys).reduce(0) { $0 + ($1.0 - meanX) * ($1.1 - meanY) } / denominator
    }

    var latest: ForecastStore.Sample { samples[samples.count - 1] }

    var limitBytes: Int64? { latest.storageGB > 0 ? Int64(latest.storageGB) * 1_073_741_824 : nil }

    /// Days from the latest sample until the limit at the fitted growth; 0 when already at or over it, nil when
    /// it is not growing or has no limit.
    var daysToLimit: Double? {
        guard let limit = limitBytes else { return nil }
        if latest.bytes >= limit { return 0 }
        guard let slope, slope > 0 else { return nil }
        return Double(limit - latest.bytes) / slope
    }

    /// The day the limit is reached (the first whole day at or past it).
    var reachesLimitOn: String? {
        daysToLimit.map { PeriodMath.text(PeriodMath.utc.date(byAdding: .day, value: Int($0.rounded(.up)), to: PeriodMath.date(latest.day))!) }
    }

    /// Groups samples (ordered by subject, then day) into one forecast per subject.
    static func group(_ samples: [ForecastStore.Sample]) -> [CapacityForecast] {
        var result: [CapacityForecast] = []
        for sample in samples {
            if let last = result.last, last.samples[0].subjectId == sample.subjectId {
                result[result.count - 1].samples.append(sample)
            } else {
                result.append(CapacityForecast(samples: [sample]))
            }
        }
        return result
    }
}
