//! An enrollment order as a QR code (issue 14): the signed order file's bytes exactly, in
//! byte mode at error correction level M, drawn as an SVG (one path of module runs) and a
//! PNG (8-bit greyscale, 8 pixels a module), each with the four-module quiet zone ISO/IEC
//! 18004 asks for. A device scans it and enrolls with what it read, as with the file.
//!
//! The picture holds the order's secret as the file does: it is written owner-only and
//! handed to the person it enrolls only.

use qrcode::{Color, EcLevel, QrCode};

use crate::error::{AuthorityError, Result};

/// Modules of light margin on every side.
const QUIET_ZONE: usize = 4;
/// Pixels a module measures in the PNG.
const PNG_MODULE_PIXELS: usize = 8;

/// The modules of an order's QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderQr {
    /// Modules per side, quiet zone excluded.
    width: usize,
    /// Dark modules, row by row.
    dark: Vec<bool>,
}

impl OrderQr {
    /// Encodes `order` (the signed order file's bytes).
    pub fn encode(order: &[u8]) -> Result<Self> {
        let code = QrCode::with_error_correction_level(order, EcLevel::M).map_err(|error| {
            AuthorityError::QrCode {
                detail: format!("{} bytes do not fit a QR code: {error}", order.len()),
            }
        })?;
        Ok(Self {
            width: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|color| color == Color::Dark)
                .collect(),
        })
    }

    /// Modules per side, quiet zone excluded.
    pub fn width(&self) -> usize {
        self.width
    }

    fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }

    /// The code as an SVG document: a white square and one black path, one unit a module.
    pub fn to_svg(&self) -> String {
        let side = self.width + 2 * QUIET_ZONE;
        let mut path = String::new();
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if !self.is_dark(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < self.width && self.is_dark(x, y) {
                    x += 1;
                }
                path.push_str(&format!(
                    "M{} {}h{}v1h-{}z",
                    start + QUIET_ZONE,
                    y + QUIET_ZONE,
                    x - start,
                    x - start
                ));
            }
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
             viewBox=\"0 0 {side} {side}\" width=\"{px}\" height=\"{px}\" \
             shape-rendering=\"crispEdges\"><title>selfreport enrollment order</title>\
             <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
             <path fill=\"#000\" d=\"{path}\"/></svg>\n",
            px = side * PNG_MODULE_PIXELS
        )
    }

    /// The code as a PNG: 8-bit greyscale, [`PNG_MODULE_PIXELS`] pixels a module.
    pub fn to_png(&self) -> Result<Vec<u8>> {
        let side = (self.width + 2 * QUIET_ZONE) * PNG_MODULE_PIXELS;
        let mut pixels = vec![0xFFu8; side * side];
        for (row, line) in pixels.chunks_exact_mut(side).enumerate() {
            let y = (row / PNG_MODULE_PIXELS).checked_sub(QUIET_ZONE);
            for (column, pixel) in line.iter_mut().enumerate() {
                let x = (column / PNG_MODULE_PIXELS).checked_sub(QUIET_ZONE);
                if let (Some(x), Some(y)) = (x, y)
                    && self.is_dark(x, y)
                {
                    *pixel = 0;
                }
            }
        }
        let side = u32::try_from(side).map_err(|_| AuthorityError::QrCode {
            detail: "the picture is too large".to_owned(),
        })?;
        let mut out = Vec::new();
        let png_error = |error: png::EncodingError| AuthorityError::QrCode {
            detail: error.to_string(),
        };
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(png_error)?;
        writer.write_image_data(&pixels).map_err(png_error)?;
        writer.finish().map_err(png_error)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a scanner reads from a PNG `to_png` wrote.
    fn scan_png(png_bytes: &[u8]) -> Vec<u8> {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        decoder.set_transformations(png::Transformations::IDENTITY);
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        let (width, height) = (info.width as usize, info.height as usize);
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
            pixels[y * width + x]
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one code in the picture");
        let mut read = Vec::new();
        grids[0].decode_to(&mut read).unwrap();
        read
    }

    #[test]
    fn the_png_scans_back_to_the_order_bytes() {
        let order = br#"{"format":"selfreport.signed/1","payload":"eyJmb3JtYXQiOiJzZWxmcmVwb3J0LmVucm9sbG1lbnQvMSJ9","signature":"AAAA","key_id":"0011223344556677"}"#;
        let qr = OrderQr::encode(order).unwrap();
        assert_eq!(scan_png(&qr.to_png().unwrap()), order.to_vec());
    }

    #[test]
    fn the_svg_draws_the_same_modules() {
        let qr = OrderQr::encode(b"selfreport").unwrap();
        let svg = qr.to_svg();
        assert!(svg.starts_with("<?xml"));
        let side = qr.width() + 2 * QUIET_ZONE;
        assert!(svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
        // Every dark module lies in exactly one drawn run.
        let path = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let mut drawn = vec![false; qr.width() * qr.width()];
        for run in path.split('M').filter(|run| !run.is_empty()) {
            let (start, rest) = run.split_once('h').unwrap();
            let (x, y) = start.split_once(' ').unwrap();
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            let length: usize = rest.split('v').next().unwrap().parse().unwrap();
            for dx in 0..length {
                let cell = (y - QUIET_ZONE) * qr.width() + x - QUIET_ZONE + dx;
                assert!(!drawn[cell]);
                drawn[cell] = true;
            }
        }
        assert_eq!(drawn, qr.dark);
    }

    #[test]
    fn an_order_too_long_for_any_qr_code_is_refused() {
        let error = OrderQr::encode(&vec![b'x'; 4000]).unwrap_err();
        assert_eq!(error.code(), "QrCode");
    }
}
