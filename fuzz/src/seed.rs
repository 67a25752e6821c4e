//! The inverse of `arbitrary` 1.4's byte format, for the structured inputs in
//! [`crate::inputs`]: it writes seed files that the fuzz targets read back as the given value.
//!
//! libFuzzer mutates bytes; `arbitrary` turns them into typed inputs. Seeds built from real
//! shapes (a real certificate, a real JWS) have to be written in that byte format, which this
//! module mirrors for the few primitives the inputs use:
//!
//! - integers: little-endian, from the front (`u32` picks an enum variant:
//!   `(u64::from(x) * variants) >> 32`);
//! - `bool`: one byte from the front, its low bit;
//! - `&[u8]`/`&str` that are not the last field: the length is read from the *end* of the
//!   remaining data (1, 2, 4 or 8 bytes depending on how much remains), then the bytes from the
//!   front;
//! - the last field of the top-level input (`arbitrary_take_rest`): a slice takes all that
//!   remains; a `Vec` reads "keep going" bytes and elements until a `false` or the end.
//!
//! The format is `arbitrary`'s, pinned in `Cargo.toml` (`=1.4.2`); every seed is read back and
//! compared before it is written ([`crate::inputs`]'s tests and the `seeds` example), so a
//! change of format cannot go unnoticed.

/// One step of the layout.
#[derive(Debug)]
enum Op {
    /// Bytes read from the front (integers, bools).
    Front(Vec<u8>),
    /// A length-prefixed slice: the length from the back, the bytes from the front.
    Slice(Vec<u8>),
    /// The last field takes all that remains.
    Rest(Vec<u8>),
}

/// Builds the bytes `arbitrary` reads back as a value; call the methods in the order the
/// value's fields are read.
#[derive(Debug, Default)]
pub struct Encoder {
    ops: Vec<Op>,
}

impl Encoder {
    /// A new, empty encoding.
    pub fn new() -> Self {
        Self::default()
    }

    /// A `u8`.
    pub fn u8(&mut self, value: u8) -> &mut Self {
        self.ops.push(Op::Front(vec![value]));
        self
    }

    /// A `u16`.
    pub fn u16(&mut self, value: u16) -> &mut Self {
        self.ops.push(Op::Front(value.to_le_bytes().to_vec()));
        self
    }

    /// A `u32`.
    pub fn u32(&mut self, value: u32) -> &mut Self {
        self.ops.push(Op::Front(value.to_le_bytes().to_vec()));
        self
    }

    /// A `bool` (an `Option`'s tag, a collection's "keep going").
    pub fn bool(&mut self, value: bool) -> &mut Self {
        self.u8(u8::from(value))
    }

    /// Variant `index` of a derived enum with `count` variants.
    pub fn variant(&mut self, index: u32, count: u32) -> &mut Self {
        assert!(index < count, "variant {index} of {count}");
        // The smallest x with (x * count) >> 32 == index: ceil(index * 2^32 / count).
        let x = (u64::from(index) << 32).div_ceil(u64::from(count));
        self.u32(u32::try_from(x).unwrap_or(u32::MAX))
    }

    /// A `&[u8]` or `&str` that is not the last field read.
    pub fn slice(&mut self, bytes: impl AsRef<[u8]>) -> &mut Self {
        self.ops.push(Op::Slice(bytes.as_ref().to_vec()));
        self
    }

    /// The last field, a `&[u8]` or `&str`, which takes all that remains.
    pub fn rest(&mut self, bytes: impl AsRef<[u8]>) -> &mut Self {
        self.ops.push(Op::Rest(bytes.as_ref().to_vec()));
        self
    }

    /// The bytes, or why no layout reads back as the value (e.g. a length `arbitrary` cannot
    /// express at that position).
    pub fn finish(&self) -> Result<Vec<u8>, String> {
        // Unread zero bytes between the front and the lengths at the back are harmless when
        // nothing takes the rest (a zero reads as "stop" or is never read), and they move the
        // length encodings into another width when one does not fit; try a few.
        let has_rest = self.ops.iter().any(|op| matches!(op, Op::Rest(_)));
        let mut last_error = String::new();
        for padding in 0..if has_rest { 1 } else { 16 } {
            match self.layout(padding) {
                Ok(bytes) => return Ok(bytes),
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }

    fn layout(&self, padding: usize) -> Result<Vec<u8>, String> {
        if let Some(position) = self.ops.iter().position(|op| matches!(op, Op::Rest(_)))
            && position + 1 != self.ops.len()
        {
            return Err("`rest` must come last".into());
        }
        // The widths of the length fields depend on the total size, which depends on the
        // widths: iterate until they agree.
        let mut widths: Vec<usize> = vec![1; self.ops.len()];
        for _ in 0..4 * self.ops.len() + 8 {
            let front: usize = self
                .ops
                .iter()
                .map(|op| match op {
                    Op::Front(bytes) | Op::Slice(bytes) | Op::Rest(bytes) => bytes.len(),
                })
                .sum();
            let back: usize = self
                .ops
                .iter()
                .zip(&widths)
                .filter(|(op, _)| matches!(op, Op::Slice(_)))
                .map(|(_, width)| *width)
                .sum();
            let total = front + padding + back;
            let mut data = vec![0u8; total];
            let (mut head, mut tail) = (0usize, total);
            let mut next_widths = widths.clone();
            for (index, op) in self.ops.iter().enumerate() {
                match op {
                    Op::Front(bytes) => {
                        data[head..head + bytes.len()].copy_from_slice(bytes);
                        head += bytes.len();
                    }
                    Op::Rest(bytes) => {
                        if tail - head != bytes.len() {
                            return Err("the rest does not end the data".into());
                        }
                        data[head..tail].copy_from_slice(bytes);
                        head = tail;
                    }
                    Op::Slice(bytes) => {
                        let remaining = tail - head;
                        let len = bytes.len();
                        let (width, encoded) = length(remaining, len)?;
                        if width != widths[index] {
                            // The guess was wrong; what follows moves: start again.
                            next_widths[index] = width;
                            break;
                        }
                        tail -= width;
                        data[tail..tail + width].copy_from_slice(&encoded[..width]);
                        data[head..head + len].copy_from_slice(bytes);
                        head += len;
                    }
                }
            }
            if next_widths == widths {
                return Ok(data);
            }
            widths = next_widths;
        }
        Err("the length widths do not settle".into())
    }
}

/// How `arbitrary_byte_size` reads `len` with `remaining` bytes left: the width of the length
/// field taken from the back and its bytes (big-endian, as `int_in_range` folds them).
fn length(remaining: usize, len: usize) -> Result<(usize, [u8; 2]), String> {
    match remaining {
        0 | 1 if len == 0 => Ok((remaining, [0, 0])),
        0 | 1 => Err(format!("no room for {len} bytes")),
        // `0..=max_size as u8` wraps to `0..=0` at 257 bytes: only an empty slice fits.
        257 if len != 0 => Err("257 bytes remain: only an empty slice reads back".into()),
        2..=257 if len < remaining => Ok((1, [u8::try_from(len).unwrap_or(0), 0])),
        258..=65537 if len <= remaining - 2 => {
            let [high, low] = u16::try_from(len).unwrap_or(0).to_be_bytes();
            Ok((2, [high, low]))
        }
        _ => Err(format!(
            "{len} bytes with {remaining} remaining: not supported"
        )),
    }
}
