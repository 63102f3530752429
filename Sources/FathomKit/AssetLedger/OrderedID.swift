import Foundation
import Synchronization

/// Identifiers that sort in the order they were made: the time in milliseconds first, then a per-process sequence that
/// starts at a random point each millisecond. Why: a collect inserts tens of thousands of rows at once, and keys that
/// arrive in order are appended at the right edge of their index instead of landing on a random page of it (which,
/// once an index outgrows the writer's page cache, costs a page read and a page write per row). Unique within a
/// process by the sequence; across processes by the random start (a collision needs two processes in the same
/// millisecond and overlapping runs of 2^35 values).
enum OrderedID {
    private struct Clock {
        var millis: UInt64 = 0
        var sequence: UInt64 = 0
    }

    private static let clock = Mutex(Clock())

    /// The next (time, sequence) pair: a later millisecond restarts the sequence at a random value in the lower half
    /// of its 36 bits, so it never runs out within one millisecond.
    private static func next() -> (millis: UInt64, sequence: UInt64) {
        let now = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
        return clock.withLock { state in
            if now > state.millis {
                state.millis = now
                state.sequence = UInt64.random(in: 0..<(1 << 35))
            } else {
                state.sequence += 1
                if state.sequence >= 1 << 36 {
                    state.millis += 1
                    state.sequence = UInt64.random(in: 0..<(1 << 35))
                }
            }
            return (state.millis, state.sequence)
        }
    }

    /// `prefix_` and 20 lower-case hex digits (44 bits of milliseconds, 36 of sequence), like `LedgerID.make`.
    static func make(_ prefix: String) -> String {
        let (millis, sequence) = next()
        var digits = [UInt8](prefix.utf8)
        digits.reserveCapacity(digits.count + 21)
        digits.append(UInt8(ascii: "_"))
        appendHex(millis & ((1 << 44) - 1), count: 11, to: &digits)
        appendHex(sequence, count: 9, to: &digits)
        return String(decoding: digits, as: UTF8.self)
    }

    /// A version-7 UUID (RFC 9562) in lower case: 48 bits of milliseconds, then the sequence, then random bits.
    static func uuid() -> String {
        let (millis, sequence) = next()
        let random = UInt64.random(in: 0...UInt64.max)
        var digits: [UInt8] = []
        digits.reserveCapacity(36)
        appendHex(millis >> 16, count: 8, to: &digits)
        digits.append(UInt8(ascii: "-"))
        appendHex(millis & 0xFFFF, count: 4, to: &digits)
        digits.append(UInt8(ascii: "-"))
        // Version 7, then the sequence's top 12 bits.
        appendHex(0x7000 | (sequence >> 24 & 0xFFF), count: 4, to: &digits)
        digits.append(UInt8(ascii: "-"))
        // Variant 10, then the sequence's low 24 bits and 38 random ones.
        appendHex(0x8000 | (sequence >> 10 & 0x3FFF), count: 4, to: &digits)
        digits.append(UInt8(ascii: "-"))
        appendHex((sequence & 0x3FF) << 38 | (random & ((1 << 38) - 1)), count: 12, to: &digits)
        return String(decoding: digits, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendHex(_ value: UInt64, count: Int, to digits: inout [UInt8]) {
        for shift in stride(from: (count - 1) * 4, through: 0, by: -4) {
            digits.append(hexDigits[Int(value >> UInt64(shift) & 0xF)])
        }
    }
}
