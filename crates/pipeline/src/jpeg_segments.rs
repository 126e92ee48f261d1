//! Walking a JPEG's header marker by marker, the way libjpeg does.
//!
//! Photoshop and some cameras write segments whose length is a few bytes short, which leaves
//! stray bytes before the next marker. libjpeg (so every browser) warns "extraneous bytes
//! before marker" and reads on; zune-jpeg's strict mode refuses. So the walker skips to the
//! next marker as libjpeg does, and [`cleaned_header`] hands the decoder a copy of the header
//! without them. It also leaves out an Adobe segment too short to hold its colour transform,
//! which libjpeg ignores and zune-jpeg refuses. Entropy-coded data is never touched.

use crate::PipelineError;

/// One marker of the header: `at` is its 0xFF, `end` is just past its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    pub marker: u8,
    pub at: usize,
    /// Where the payload starts (just past the length for segments that have one).
    pub payload: usize,
    pub end: usize,
    /// Bytes other than 0xFF fill came between the previous segment and this one.
    pub after_stray_bytes: bool,
}

/// Start of scan: the entropy-coded data follows its header.
pub(crate) const SOS: u8 = 0xDA;

pub(crate) fn truncated() -> PipelineError {
    PipelineError::invalid("truncated header")
}

/// The segment at or after byte `from` (which is just past the previous segment).
pub(crate) fn next(b: &[u8], from: usize) -> Result<Segment, PipelineError> {
    let mut i = from;
    let mut stray = false;
    let marker = loop {
        // Anything up to the next 0xFF is stray; 0xFF fill bytes may precede a marker, and
        // 0xFF 0x00 is not a marker at all.
        while *b.get(i).ok_or_else(truncated)? != 0xFF {
            stray = true;
            i += 1;
        }
        while b.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        match *b.get(i + 1).ok_or_else(truncated)? {
            0x00 => {
                stray = true;
                i += 2;
            }
            marker => break marker,
        }
    };
    let at = i;
    // Standalone markers (TEM, RST0-7, SOI, EOI) carry no length.
    if matches!(marker, 0x01 | 0xD0..=0xD9) {
        return Ok(Segment {
            marker,
            at,
            payload: at + 2,
            end: at + 2,
            after_stray_bytes: stray,
        });
    }
    let len = b
        .get(at + 2..at + 4)
        .map(|s| usize::from(u16::from_be_bytes([s[0], s[1]])))
        .ok_or_else(truncated)?;
    if len < 2 {
        return Err(PipelineError::invalid("bad JPEG segment length"));
    }
    Ok(Segment {
        marker,
        at,
        payload: at + 4,
        end: at + 2 + len,
        after_stray_bytes: stray,
    })
}

/// An APP14 "Adobe" segment shorter than the 12 bytes that reach its colour transform.
fn is_short_adobe(b: &[u8], s: &Segment) -> bool {
    s.marker == 0xEE
        && b.get(s.payload..s.end)
            .is_some_and(|p| p.starts_with(b"Adobe") && p.len() < 12)
}

/// The JPEG without stray bytes between its header segments and without a short Adobe
/// segment, or `None` when it has neither (the common case: no copy). Everything from the
/// start of scan on is kept as it is.
pub(crate) fn cleaned_header(b: &[u8]) -> Result<Option<Vec<u8>>, PipelineError> {
    // Two walks instead of a list of segments: a 10 MiB file can hold millions of them.
    let mut needed = false;
    header(b, |s| needed |= s.after_stray_bytes || is_short_adobe(b, s))?;
    if !needed {
        return Ok(None);
    }
    let mut clean = Vec::with_capacity(b.len());
    clean.extend_from_slice(&b[..2]);
    let scan = header(b, |s| {
        if !is_short_adobe(b, s) {
            clean.extend_from_slice(&b[s.at..s.end]);
        }
    })?;
    clean.extend_from_slice(&b[scan..]);
    Ok(Some(clean))
}

/// Calls `each` for every header segment before the start of scan (or end of image), whole
/// within `b`, and returns where that marker starts.
fn header(b: &[u8], mut each: impl FnMut(&Segment)) -> Result<usize, PipelineError> {
    let mut i = 2;
    loop {
        let segment = next(b, i)?;
        if segment.marker == SOS || segment.marker == 0xD9 {
            return Ok(segment.at);
        }
        if segment.end > b.len() {
            return Err(truncated());
        }
        each(&segment);
        i = segment.end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOI, an APP1 segment whose declared length is 3 bytes short, a DQT stub, then SOS.
    fn short_segment() -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        b.extend([0xFF, 0xE1, 0x00, 0x04, b'a', b'b', b'c', b'd', 0x00]);
        b.extend([0xFF, 0xDB, 0x00, 0x03, 0x07]);
        b.extend([0xFF, SOS, 0x00, 0x02, 0x12, 0x34, 0xFF, 0x00, 0xFF, 0xD9]);
        b
    }

    #[test]
    fn skips_to_the_next_marker_like_libjpeg() {
        let b = short_segment();
        let app1 = next(&b, 2).unwrap();
        assert_eq!(
            (app1.marker, app1.end, app1.after_stray_bytes),
            (0xE1, 8, false)
        );
        let dqt = next(&b, app1.end).unwrap();
        assert_eq!(
            (dqt.marker, dqt.at, dqt.after_stray_bytes),
            (0xDB, 11, true)
        );
    }

    #[test]
    fn removes_stray_header_bytes_and_keeps_the_scan() {
        let b = short_segment();
        let clean = cleaned_header(&b).unwrap().unwrap();
        let mut expected = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x04, b'a', b'b'];
        expected.extend([0xFF, 0xDB, 0x00, 0x03, 0x07]);
        expected.extend([0xFF, SOS, 0x00, 0x02, 0x12, 0x34, 0xFF, 0x00, 0xFF, 0xD9]);
        assert_eq!(clean, expected);
        assert_eq!(
            cleaned_header(&clean).unwrap(),
            None,
            "a clean file is not copied"
        );
    }

    #[test]
    fn drops_an_adobe_segment_too_short_for_its_transform() {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xEE, 0x00, 0x09];
        b.extend(b"Adobe\0d");
        let scan = [0xFF, SOS, 0x00, 0x02, 0x12, 0xFF, 0xD9];
        b.extend(scan);
        let clean = cleaned_header(&b).unwrap().unwrap();
        assert_eq!(clean, [&[0xFF, 0xD8][..], &scan].concat());
        let mut full = vec![0xFF, 0xD8, 0xFF, 0xEE, 0x00, 0x0E];
        full.extend(b"Adobe\0d\0\0\0\0\x01");
        full.extend(scan);
        assert_eq!(
            cleaned_header(&full).unwrap(),
            None,
            "a whole Adobe segment stays"
        );
    }

    #[test]
    fn a_header_cut_short_is_truncated() {
        let b = short_segment();
        assert!(next(&b[..10], 8).is_err());
        assert!(cleaned_header(&b[..12]).is_err());
    }
}
