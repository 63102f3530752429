@testable import FathomKit
import Foundation
import Testing

/// The hand-written formatters agree with Foundation's, across signs, leap years and centuries.
@Suite(.timeLimit(.minutes(5))) struct TextFormatTests {
    @Test func timestampsMatchFoundation() {
        var generator = SplitMix(seed: 42)
        var samples: [Int64] = [0, -1, 999, 1000, -1000, -86_400_000, 951_782_400_000, 4_107_542_400_000, -2_208_988_800_000]
        for _ in 0..<5000 {
            samples.append(Int64(bitPattern: generator.next() % 8_000_000_000_000) - 3_000_000_000_000)
        }
        let reference = ISO8601DateFormatter()
        for millis in samples {
            let seconds = (Double(millis) / 1000).rounded(.down)
            #expect(Timestamp.iso8601(millis: millis) == reference.string(from: Date(timeIntervalSince1970: seconds)), "\(millis)")
        }
    }

    @Test func twoDecimalsMatchPrintf() {
        var generator = SplitMix(seed: 7)
        var samples: [Double] = [0, 0.5, -0.05, 12.3, 1023.999, 4158.88, -1.5, 99.995]
        for _ in 0..<5000 {
            samples.append(Double(generator.next() % 10_000_000) / 997 - 3000)
        }
        for value in samples {
            let expected = String(format: "%.2f", value)
            let actual = TextFormat.twoDecimals(value)
            // printf rounds the binary value exactly; both may differ only on a tie such as 99.995.
            if actual != expected {
                #expect(abs(Double(actual)! - Double(expected)!) <= 0.0100001, "\(value): \(actual) vs \(expected)")
            }
        }
        #expect(TextFormat.twoDecimals(4158.876) == "4158.88")
        #expect(TextFormat.twoDecimals(-0.004) == "0.00")
        #expect(SizeFormat.label(4_360_897_001) == "4.06 GB")
    }

    @Test func base64URLMatchesFoundation() {
        var generator = SplitMix(seed: 3)
        for length in 0..<40 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(TextFormat.base64URL(bytes) == expected, "\(bytes)")
        }
        #expect(MetricsRegistry.escape("plain") == "plain")
        #expect(MetricsRegistry.escape("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
    }

    @Test func hexAndDays() {
        #expect(TextFormat.hex([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
        #expect(Secrets.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(TextFormat.day(year: 2026, month: 3, day: 1) == "2026-03-01")
        #expect(TextFormat.civil(daysSinceEpoch: 0) == (1970, 1, 1))
        #expect(TextFormat.civil(daysSinceEpoch: 11_016) == (2000, 2, 29))
        #expect(TextFormat.civil(daysSinceEpoch: -1) == (1969, 12, 31))
    }
}
