package org.selfreport.demo.logic

import com.google.zxing.EncodeHintType
import com.google.zxing.WriterException
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel
import com.google.zxing.qrcode.encoder.Encoder

/**
 * A QR code's modules, dark or light, without its quiet zone: what the arrival pass screen
 * draws (zxing's encoder, pure Java). The pass is about 300 bytes of ASCII JSON, so it
 * fits version 10 or so at level M; level M keeps a scan from a phone screen in poor light
 * reliable without making the modules too small to read.
 */
class QrMatrix private constructor(
    /** Modules per side. */
    val size: Int,
    private val dark: BooleanArray,
) {
    /** Whether the module in [row], [column] is dark. */
    fun isDark(row: Int, column: Int): Boolean = dark[row * size + column]

    /**
     * Grey pixels (0xFF000000 dark, 0xFFFFFFFF light) of the code drawn [scale] pixels a
     * module with a quiet zone of [QUIET_ZONE] modules around it; for a reader or a bitmap.
     */
    fun pixels(scale: Int): IntArray {
        require(scale > 0) { "scale must be positive" }
        val side = pixelSide(scale)
        val pixels = IntArray(side * side) { LIGHT }
        for (row in 0 until size) {
            for (column in 0 until size) {
                if (!isDark(row, column)) continue
                for (dy in 0 until scale) {
                    val y = (row + QUIET_ZONE) * scale + dy
                    val start = y * side + (column + QUIET_ZONE) * scale
                    pixels.fill(DARK, start, start + scale)
                }
            }
        }
        return pixels
    }

    /** Pixels per side of [pixels] at [scale]. */
    fun pixelSide(scale: Int): Int = (size + 2 * QUIET_ZONE) * scale

    companion object {
        /** Light modules around the code, as ISO/IEC 18004 asks. */
        const val QUIET_ZONE = 4

        /** A dark pixel. */
        const val DARK = 0xFF000000.toInt()

        /** A light pixel. */
        const val LIGHT = 0xFFFFFFFF.toInt()

        /**
         * The QR code of [text] (UTF-8, level M). `null` when it does not fit a QR code
         * (more than about 2,300 bytes): a pass never is, and the screen says so instead.
         */
        fun of(text: String): QrMatrix? {
            val hints = mapOf(EncodeHintType.CHARACTER_SET to "UTF-8")
            val code = try {
                Encoder.encode(text, ErrorCorrectionLevel.M, hints)
            } catch (_: WriterException) {
                return null
            }
            val matrix = code.matrix ?: return null
            val size = matrix.width
            val dark = BooleanArray(size * size) { matrix.get(it % size, it / size).toInt() == 1 }
            return QrMatrix(size, dark)
        }
    }
}
