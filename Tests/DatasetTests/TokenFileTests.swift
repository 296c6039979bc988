import Dataset
import Foundation
import TestSupport
import XCTest

final class TokenFileTests: XCTestCase {
    func testWritesTheLlmcLayoutAndReadsItBack() throws {
        let dir = try makeTemporaryFolder(for: self, "data").path
        let path = dir + "/t.bin"
        let tokens: [Int32] = [0, 1, 2, 255, 256, 1000, 65535]
        try TokenFile.write(tokens, to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(data.count, 1024 + 2 * tokens.count)
        XCTAssertEqual(Array(data[0..<12]), [0x88, 0xD8, 0x34, 0x01, 1, 0, 0, 0, 7, 0, 0, 0])  // 20240520 = 0x0134D888, 1, 7
        XCTAssertTrue(data[12..<1024].allSatisfy { $0 == 0 })
        XCTAssertEqual(Array(data[1024..<1030]), [0, 0, 1, 0, 2, 0])
        XCTAssertEqual(Array(data[(data.count - 2)...]), [0xFF, 0xFF])
        XCTAssertEqual(try TokenFile.read(path), tokens)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["t.bin"], "no temporary file left")
        try TokenFile.write([], to: path)
        XCTAssertEqual(try TokenFile.read(path), [])
    }

    func testRefusesTokensThatDoNotFitUInt16() throws {
        let dir = try makeTemporaryFolder(for: self, "data").path
        assertThrows(try TokenFile.write([1, 65536], to: dir + "/big.bin"), containing: ["65536", "big.bin"])
        assertThrows(try TokenFile.write([-1], to: dir + "/neg.bin"), containing: ["-1"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    func testReadingABadFileNamesTheFileAndTheProblem() throws {
        let dir = try makeTemporaryFolder(for: self, "data").path
        let path = dir + "/t.bin"
        try TokenFile.write([5, 6, 7], to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))

        var badMagic = good; badMagic[0] = 0
        try badMagic.write(to: URL(fileURLWithPath: path))
        assertThrows(try TokenFile.read(path), containing: [path, "magic"])

        var badVersion = good; badVersion[4] = 2
        try badVersion.write(to: URL(fileURLWithPath: path))
        assertThrows(try TokenFile.read(path), containing: [path, "version 2"])

        try good.dropLast(2).write(to: URL(fileURLWithPath: path))
        assertThrows(try TokenFile.read(path), containing: [path, "3 tokens", "4 bytes"])

        try good.prefix(100).write(to: URL(fileURLWithPath: path))
        assertThrows(try TokenFile.read(path), containing: [path, "header"])

        assertThrows(try TokenFile.read(dir + "/missing.bin"), containing: [dir + "/missing.bin", "not found"])
    }
}
