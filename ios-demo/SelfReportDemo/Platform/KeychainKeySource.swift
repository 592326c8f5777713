// The store key's guardian on iOS: a random 256-bit wrapping key kept in the Keychain,
// readable after the first unlock and never leaving this device, and AES-GCM (CryptoKit)
// sealing the 32-byte store key the core hands over.

import CryptoKit
import Foundation
import SelfReportCore
import Security

/// A `KeySource` over the Keychain.
///
/// The wrapping key is a generic-password item with
/// `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`: background sync can read it once
/// the person has unlocked the phone after a restart, and it is in no backup and on no
/// other device. So a store restored from a backup, or a Keychain that was reset, gives
/// `KeySourceError.Unavailable` and the app offers the reset path; a blob sealed by another
/// wrapping key gives `WrongKey`.
///
/// The errors it throws carry no key material and no personal data: the core copies their
/// text into its error details.
final class KeychainKeySource: KeySource, @unchecked Sendable {
    /// Format of the blob: one version byte, then AES-GCM's nonce, ciphertext and tag.
    private static let blobVersion: UInt8 = 1
    /// Binds the sealed key to this use, so no other AES-GCM blob opens as a store key.
    private static let associatedData = Data("selfreport.keychain-wrap/1".utf8)

    private let service: String
    private let account: String
    /// Serializes creating the key, so two first calls cannot make two keys.
    private let lock = NSLock()

    /// The key source using the Keychain item `service`/`account`.
    init(service: String = "org.selfreport.demo.store-key", account: String = "wrapping-key-v1") {
        self.service = service
        self.account = account
    }

    func wrap(key storeKey: Data) throws -> Data {
        let wrappingKey = try existingOrNewKey()
        let sealed: AES.GCM.SealedBox
        do {
            sealed = try AES.GCM.seal(storeKey, using: wrappingKey, authenticating: Self.associatedData)
        } catch {
            throw KeySourceError.Failed(reason: "AES-GCM seal failed")
        }
        guard let combined = sealed.combined else {
            throw KeySourceError.Failed(reason: "AES-GCM gave no combined form")
        }
        return Data([Self.blobVersion]) + combined
    }

    func unwrap(blob: Data) throws -> Data {
        guard let wrappingKey = try readKey() else {
            throw KeySourceError.Unavailable(
                reason: "no wrapping key in the Keychain (restored from a backup or the Keychain was reset)"
            )
        }
        guard blob.first == Self.blobVersion else {
            // Not a blob this source made: it cannot open it.
            throw KeySourceError.WrongKey
        }
        do {
            let box = try AES.GCM.SealedBox(combined: blob.dropFirst())
            return try AES.GCM.open(box, using: wrappingKey, authenticating: Self.associatedData)
        } catch {
            // CryptoKitError.authenticationFailure: sealed by another key. Anything else:
            // a blob too short to be a sealed box, which this source did not make either.
            throw KeySourceError.WrongKey
        }
    }

    /// Deletes the wrapping key: part of erasing everything, and of the reset after a lost
    /// key. A store wrapped by it can never be opened again.
    func deleteKey() throws {
        let status = SecItemDelete(baseQuery as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw KeySourceError.Failed(reason: "Keychain delete failed (OSStatus \(status))")
        }
    }

    // MARK: - Keychain

    private var baseQuery: [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecUseDataProtectionKeychain as String: true,
        ]
    }

    /// The wrapping key, or nil if the Keychain has none.
    private func readKey() throws -> SymmetricKey? {
        var query = baseQuery
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        switch status {
        case errSecSuccess:
            guard let data = item as? Data, data.count == 32 else {
                throw KeySourceError.Unavailable(reason: "the Keychain item is not a 256-bit key")
            }
            return SymmetricKey(data: data)
        case errSecItemNotFound:
            return nil
        case errSecInteractionNotAllowed:
            // Before the first unlock after a restart: try again later.
            throw KeySourceError.Failed(reason: "the Keychain is locked until the device is unlocked")
        default:
            throw KeySourceError.Failed(reason: "Keychain read failed (OSStatus \(status))")
        }
    }

    /// The wrapping key, made and stored first if there is none yet.
    private func existingOrNewKey() throws -> SymmetricKey {
        lock.lock()
        defer { lock.unlock() }
        if let key = try readKey() {
            return key
        }
        let key = SymmetricKey(size: .bits256)
        var attributes = baseQuery
        attributes[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        attributes[kSecValueData as String] = key.withUnsafeBytes { Data($0) }
        let status = SecItemAdd(attributes as CFDictionary, nil)
        switch status {
        case errSecSuccess:
            return key
        case errSecDuplicateItem:
            // Another process (an app extension) made one first: use it.
            if let existing = try readKey() {
                return existing
            }
            throw KeySourceError.Failed(reason: "Keychain item vanished while being created")
        case errSecInteractionNotAllowed:
            throw KeySourceError.Failed(reason: "the Keychain is locked until the device is unlocked")
        default:
            throw KeySourceError.Failed(reason: "Keychain add failed (OSStatus \(status))")
        }
    }
}
