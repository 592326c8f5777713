//! Arithmetic modulo an RSA modulus, just what blinding needs (RFC 9474 §4.2 and §4.3):
//! products, a power with the public exponent, and an inverse.
//!
//! Numbers are little-endian 64-bit limbs of the modulus's width. Products use Montgomery
//! multiplication (CIOS) without branches on the values, so the secret blinding factor
//! never steers a branch; the power's exponent is public. The inverse is the binary
//! extended Euclidean algorithm, whose time depends on its input: callers only ever
//! invert values multiplied by a fresh random mask ([`Modulus::inverse_masked`]).
//!
//! ring, which the core already carries, does this arithmetic inside but does not expose
//! it; a general big-number crate would add tens of kilobytes to the mobile library for
//! these few operations. The drop box signs with the `blind-rsa-signatures` crate, and the
//! tests check this code against it and against RFC 9474's vectors.

use zeroize::Zeroize;

use super::TokenError;

/// An odd modulus prepared for Montgomery multiplication.
pub(crate) struct Modulus {
    /// The modulus, little-endian limbs, the top one non-zero.
    n: Vec<u64>,
    /// `-n⁻¹ mod 2⁶⁴`.
    n0_inv: u64,
    /// `R² mod n`, with `R = 2^(64·limbs)`.
    r_squared: Vec<u64>,
}

/// A number below the modulus, as little-endian limbs of its width; zeroized on drop (it
/// may be a blinding factor).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Residue(Vec<u64>);

impl Drop for Residue {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Modulus {
    /// The modulus whose big-endian bytes are `bytes`: odd, above one.
    pub(crate) fn from_be_bytes(bytes: &[u8]) -> Result<Self, TokenError> {
        let n = limbs_from_be(bytes, bytes.len().div_ceil(8));
        let n = trim(n);
        if n.is_empty() || n[0] & 1 == 0 || (n.len() == 1 && n[0] == 1) {
            return Err(TokenError::BadIssuerKey("the modulus is not odd"));
        }
        // Newton's iteration for n⁻¹ mod 2⁶⁴: each step doubles the correct low bits.
        let mut inverse: u64 = 1;
        for _ in 0..6 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(n[0].wrapping_mul(inverse)));
        }
        let mut modulus = Self {
            n0_inv: inverse.wrapping_neg(),
            r_squared: Vec::new(),
            n,
        };
        modulus.r_squared = modulus.power_of_two(128 * modulus.n.len());
        Ok(modulus)
    }

    /// Bits of the modulus.
    pub(crate) fn bits(&self) -> usize {
        let top = self.n.last().copied().unwrap_or(0);
        64 * self.n.len() - top.leading_zeros() as usize
    }

    /// Bytes of the modulus, as RFC 8017 counts `k`.
    pub(crate) fn byte_len(&self) -> usize {
        self.bits().div_ceil(8)
    }

    /// The number whose big-endian bytes are `bytes`, if it is below the modulus.
    pub(crate) fn residue(&self, bytes: &[u8]) -> Option<Residue> {
        if bytes.len() > 8 * self.n.len() {
            return None;
        }
        let limbs = limbs_from_be(bytes, self.n.len());
        less_than(&limbs, &self.n).then_some(Residue(limbs))
    }

    /// A uniformly random number in `[1, n)`, from `fill` (the OS generator).
    pub(crate) fn random(
        &self,
        fill: &mut dyn FnMut(&mut [u8]) -> Result<(), TokenError>,
    ) -> Result<Residue, TokenError> {
        let bits = self.bits();
        let mut bytes = vec![0u8; bits.div_ceil(8)];
        // Rejection sampling below the modulus's bit length: fewer than two tries on average.
        for _ in 0..256 {
            fill(&mut bytes)?;
            let excess = 8 * bytes.len() - bits;
            if let Some(first) = bytes.first_mut() {
                *first &= 0xffu8 >> excess;
            }
            if let Some(value) = self.residue(&bytes)
                && !is_zero(&value.0)
            {
                bytes.zeroize();
                return Ok(value);
            }
        }
        bytes.zeroize();
        Err(TokenError::Random)
    }

    /// `value` as big-endian bytes of the modulus's length.
    pub(crate) fn to_be_bytes(&self, value: &Residue) -> Vec<u8> {
        let mut out = vec![0u8; self.byte_len()];
        for (index, byte) in out.iter_mut().rev().enumerate() {
            let limb = value.0.get(index / 8).copied().unwrap_or(0);
            *byte = (limb >> (8 * (index % 8))) as u8;
        }
        out
    }

    /// `a · b mod n`.
    pub(crate) fn multiply(&self, a: &Residue, b: &Residue) -> Residue {
        // mont(mont(a, b), R²) = a·b·R⁻¹·R²·R⁻¹ = a·b.
        let product = self.montgomery(&a.0, &b.0);
        Residue(self.montgomery(&product, &self.r_squared))
    }

    /// `base^exponent mod n` for a public exponent.
    pub(crate) fn power_public(&self, base: &Residue, exponent: u64) -> Residue {
        let base_m = self.montgomery(&base.0, &self.r_squared);
        // One in Montgomery form: R mod n = mont(R², 1).
        let mut one = vec![0u64; self.n.len()];
        one[0] = 1;
        let mut result = self.montgomery(&self.r_squared, &one);
        for bit in (0..64 - exponent.leading_zeros()).rev() {
            result = self.montgomery(&result, &result);
            if exponent >> bit & 1 == 1 {
                result = self.montgomery(&result, &base_m);
            }
        }
        Residue(self.montgomery(&result, &one))
    }

    /// `value⁻¹ mod n`, computed on `value · mask` for a fresh random mask so the
    /// variable-time inversion never sees `value` itself; `None` when `value` shares a
    /// factor with `n` (which would factor the modulus).
    pub(crate) fn inverse_masked(
        &self,
        value: &Residue,
        fill: &mut dyn FnMut(&mut [u8]) -> Result<(), TokenError>,
    ) -> Result<Option<Residue>, TokenError> {
        let mask = self.random(fill)?;
        let masked = self.multiply(value, &mask);
        Ok(self
            .inverse_vartime(&masked.0)
            .map(|inverse| self.multiply(&Residue(inverse), &mask)))
    }

    /// Montgomery product `a · b · R⁻¹ mod n` of two numbers below `n` (CIOS; the final
    /// subtraction chosen by mask, not branch).
    fn montgomery(&self, a: &[u64], b: &[u64]) -> Vec<u64> {
        let limbs = self.n.len();
        let mut t = vec![0u64; limbs + 2];
        for &b_i in b.iter().take(limbs) {
            let mut carry = 0u64;
            for (t_j, &a_j) in t.iter_mut().zip(a.iter()).take(limbs) {
                (*t_j, carry) = multiply_add(a_j, b_i, *t_j, carry);
            }
            let (sum, overflow) = t[limbs].overflowing_add(carry);
            t[limbs] = sum;
            t[limbs + 1] = u64::from(overflow);

            let m = t[0].wrapping_mul(self.n0_inv);
            let (_, mut carry) = multiply_add(m, self.n[0], t[0], 0);
            for j in 1..limbs {
                (t[j - 1], carry) = multiply_add(m, self.n[j], t[j], carry);
            }
            let (sum, overflow) = t[limbs].overflowing_add(carry);
            t[limbs - 1] = sum;
            t[limbs] = t[limbs + 1] + u64::from(overflow);
        }
        let high = t[limbs];
        t.truncate(limbs);
        let (difference, borrow) = subtract(&t, &self.n);
        // Keep the difference when t ≥ n: a carry out of the top limb, or no borrow.
        let keep_difference = (high | (1 - borrow)) & 1;
        let choose = keep_difference.wrapping_neg();
        t.iter()
            .zip(&difference)
            .map(|(&kept, &reduced)| (reduced & choose) | (kept & !choose))
            .collect()
    }

    /// `2^exponent mod n`, by doubling (the modulus is public).
    fn power_of_two(&self, exponent: usize) -> Vec<u64> {
        let mut value = vec![0u64; self.n.len()];
        value[0] = 1;
        for _ in 0..exponent {
            let carry = shift_left_one(&mut value);
            if carry == 1 || !less_than(&value, &self.n) {
                let (difference, _) = subtract(&value, &self.n);
                value = difference;
            }
        }
        value
    }

    /// The inverse of `a` modulo the odd `n` by the binary extended Euclidean algorithm;
    /// time depends on `a`, which must be masked.
    fn inverse_vartime(&self, a: &[u64]) -> Option<Vec<u64>> {
        if is_zero(a) {
            return None;
        }
        let limbs = self.n.len();
        let mut u = a.to_vec();
        let mut v = self.n.clone();
        let mut x1 = vec![0u64; limbs];
        x1[0] = 1;
        let mut x2 = vec![0u64; limbs];
        // Invariants: x1·a ≡ u and x2·a ≡ v (mod n).
        while !is_one(&u) && !is_one(&v) {
            if is_zero(&u) || is_zero(&v) {
                return None;
            }
            while u[0] & 1 == 0 {
                shift_right_one(&mut u, 0);
                self.halve(&mut x1);
            }
            while v[0] & 1 == 0 {
                shift_right_one(&mut v, 0);
                self.halve(&mut x2);
            }
            if less_than(&u, &v) {
                v = subtract(&v, &u).0;
                x2 = self.subtract_mod(&x2, &x1);
            } else {
                u = subtract(&u, &v).0;
                x1 = self.subtract_mod(&x1, &x2);
            }
        }
        Some(if is_one(&u) { x1 } else { x2 })
    }

    /// `x / 2 mod n` for `x < n`.
    fn halve(&self, x: &mut [u64]) {
        if x[0] & 1 == 0 {
            shift_right_one(x, 0);
        } else {
            let carry = add(x, &self.n);
            shift_right_one(x, carry);
        }
    }

    /// `a - b mod n` for `a, b < n`.
    fn subtract_mod(&self, a: &[u64], b: &[u64]) -> Vec<u64> {
        let (mut difference, borrow) = subtract(a, b);
        if borrow == 1 {
            add(&mut difference, &self.n);
        }
        difference
    }
}

/// `a·b + c + d` as (low, high) limbs; never overflows 128 bits.
fn multiply_add(a: u64, b: u64, c: u64, d: u64) -> (u64, u64) {
    let wide = u128::from(a) * u128::from(b) + u128::from(c) + u128::from(d);
    (wide as u64, (wide >> 64) as u64)
}

/// `a - b` over `a`'s limbs, and the borrow out (0 or 1).
fn subtract(a: &[u64], b: &[u64]) -> (Vec<u64>, u64) {
    let mut borrow = 0u64;
    let difference = a
        .iter()
        .enumerate()
        .map(|(index, &a_i)| {
            let b_i = b.get(index).copied().unwrap_or(0);
            let (step, under_1) = a_i.overflowing_sub(b_i);
            let (step, under_2) = step.overflowing_sub(borrow);
            borrow = u64::from(under_1 | under_2);
            step
        })
        .collect();
    (difference, borrow)
}

/// `a += b` over `a`'s limbs, returning the carry out (0 or 1).
fn add(a: &mut [u64], b: &[u64]) -> u64 {
    let mut carry = 0u64;
    for (index, a_i) in a.iter_mut().enumerate() {
        let b_i = b.get(index).copied().unwrap_or(0);
        let (step, over_1) = a_i.overflowing_add(b_i);
        let (step, over_2) = step.overflowing_add(carry);
        *a_i = step;
        carry = u64::from(over_1 | over_2);
    }
    carry
}

/// Shifts left by one bit, returning the bit shifted out.
fn shift_left_one(a: &mut [u64]) -> u64 {
    let mut carry = 0u64;
    for limb in a.iter_mut() {
        let out = *limb >> 63;
        *limb = (*limb << 1) | carry;
        carry = out;
    }
    carry
}

/// Shifts right by one bit, `top` (0 or 1) entering at the most significant end.
fn shift_right_one(a: &mut [u64], top: u64) {
    let mut carry = top;
    for limb in a.iter_mut().rev() {
        let out = *limb & 1;
        *limb = (*limb >> 1) | (carry << 63);
        carry = out;
    }
}

/// Whether `a < b` (same number of limbs or fewer in `a`).
fn less_than(a: &[u64], b: &[u64]) -> bool {
    let limbs = a.len().max(b.len());
    for index in (0..limbs).rev() {
        let a_i = a.get(index).copied().unwrap_or(0);
        let b_i = b.get(index).copied().unwrap_or(0);
        if a_i != b_i {
            return a_i < b_i;
        }
    }
    false
}

fn is_zero(a: &[u64]) -> bool {
    a.iter().all(|&limb| limb == 0)
}

fn is_one(a: &[u64]) -> bool {
    a.first() == Some(&1) && a.iter().skip(1).all(|&limb| limb == 0)
}

/// Big-endian bytes as `limbs` little-endian limbs (bytes beyond them are dropped: callers
/// check the length first).
fn limbs_from_be(bytes: &[u8], limbs: usize) -> Vec<u64> {
    let mut out = vec![0u64; limbs];
    for (index, &byte) in bytes.iter().rev().enumerate() {
        if let Some(limb) = out.get_mut(index / 8) {
            *limb |= u64::from(byte) << (8 * (index % 8));
        }
    }
    out
}

/// Drops zero limbs at the top.
fn trim(mut limbs: Vec<u64>) -> Vec<u64> {
    while limbs.last() == Some(&0) {
        limbs.pop();
    }
    limbs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small odd modulus whose results are easy to check with u128 arithmetic.
    fn small() -> (Modulus, u128) {
        let n: u128 = 0xd2a5_18e3_9b5c_4f01_7a3b_cc49_2e1d_f6b5;
        (Modulus::from_be_bytes(&n.to_be_bytes()).unwrap(), n)
    }

    fn residue(modulus: &Modulus, value: u128) -> Residue {
        modulus.residue(&value.to_be_bytes()).unwrap()
    }

    fn value(modulus: &Modulus, residue: &Residue) -> u128 {
        let bytes = modulus.to_be_bytes(residue);
        let mut padded = [0u8; 16];
        padded[16 - bytes.len()..].copy_from_slice(&bytes);
        u128::from_be_bytes(padded)
    }

    fn mul_mod(a: u128, b: u128, n: u128) -> u128 {
        // Double-and-add: every step stays below n, so nothing overflows.
        let mut result = 0u128;
        let mut a = a % n;
        let mut b = b;
        while b > 0 {
            if b & 1 == 1 {
                result = add_mod(result, a, n);
            }
            a = add_mod(a, a, n);
            b >>= 1;
        }
        result
    }

    fn add_mod(a: u128, b: u128, n: u128) -> u128 {
        let (sum, overflow) = a.overflowing_add(b);
        if overflow || sum >= n {
            sum.wrapping_sub(n)
        } else {
            sum
        }
    }

    #[test]
    fn products_powers_and_inverses_match_plain_arithmetic() {
        let (modulus, n) = small();
        assert_eq!(modulus.bits(), 128);
        let samples = [
            1u128,
            2,
            3,
            0xffff_ffff_ffff_ffff,
            n - 1,
            n / 3,
            0x1234_5678_9abc_def0_1122_3344_5566_7788,
        ];
        for &a in &samples {
            for &b in &samples {
                let product = modulus.multiply(&residue(&modulus, a), &residue(&modulus, b));
                assert_eq!(value(&modulus, &product), mul_mod(a, b, n), "{a} * {b}");
            }
            let mut expected = 1u128;
            let mut base = a;
            let mut exponent = 65537u64;
            while exponent > 0 {
                if exponent & 1 == 1 {
                    expected = mul_mod(expected, base, n);
                }
                base = mul_mod(base, base, n);
                exponent >>= 1;
            }
            let power = modulus.power_public(&residue(&modulus, a), 65537);
            assert_eq!(value(&modulus, &power), expected, "{a}^65537");

            let mut fill = |bytes: &mut [u8]| {
                ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), bytes)
                    .map_err(|_| TokenError::Random)
            };
            if let Some(inverse) = modulus
                .inverse_masked(&residue(&modulus, a), &mut fill)
                .unwrap()
            {
                assert_eq!(mul_mod(value(&modulus, &inverse), a, n), 1, "{a}⁻¹");
            }
        }
    }

    #[test]
    fn refuses_even_and_trivial_moduli_and_values_not_below_it() {
        assert!(Modulus::from_be_bytes(&[0x10, 0x00]).is_err());
        assert!(Modulus::from_be_bytes(&[0x00, 0x01]).is_err());
        assert!(Modulus::from_be_bytes(&[]).is_err());
        let (modulus, n) = small();
        assert!(modulus.residue(&n.to_be_bytes()).is_none());
        assert!(modulus.residue(&[1u8; 17]).is_none());
        assert!(modulus.residue(&(n - 1).to_be_bytes()).is_some());
    }

    #[test]
    fn a_value_sharing_a_factor_has_no_inverse() {
        // 15 = 3 · 5; 6 shares the factor 3.
        let modulus = Modulus::from_be_bytes(&[15]).unwrap();
        assert!(modulus.inverse_vartime(&[6]).is_none());
        assert_eq!(modulus.inverse_vartime(&[7]), Some(vec![13]));
    }
}
