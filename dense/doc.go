// Package dense is the post-processing of dense-prediction networks in pure
// Go (no cgo, no OpenCV): per-pixel class maps and their colour overlay for
// semantic segmentation (LR-ASPP), and text boxes from a DB text detector's
// probability map as PaddleOCR computes them (PP-OCR's DBPostProcess:
// threshold, connected regions, minimum-area rectangles, mean-probability
// box score, unclip, scaling back to the image).
package dense
