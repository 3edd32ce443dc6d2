#!/usr/bin/python3
"""Makes test pictures and their torchvision preprocessing with PIL + numpy.

usage: make_images.py OUTDIR
Writes OUTDIR/<name>.<ext> (three pictures: PNG 300x200 gradients and discs,
JPEG 257x411 with stripes and text, WebP 640x480 noise-free shapes) and
OUTDIR/<name>.tv.bin: torchvision's Resize(256) + CenterCrop(224) + ToTensor +
Normalize(ImageNet) of each, computed with PIL and numpy, float32 NCHW [1,3,224,224].
"""
import sys
import numpy as np
from PIL import Image, ImageDraw

out = sys.argv[1]
mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
std = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def picture(w, h, seed):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 127 * np.sin(x / (7.0 + seed) + seed) * np.cos(y / 11.0)
    g = 255 * x / (w - 1)
    b = 255 * (1 - y / (h - 1))
    im = Image.fromarray(np.clip(np.stack([r, g, b], -1), 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(im)
    for k in range(5):
        cx, cy, rr = (37 * (k + seed)) % w, (53 * (k + 2 * seed)) % h, 10 + 7 * k
        d.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), fill=(40 * k, 255 - 40 * k, 90))
    d.text((10, 10), "mnc %d" % seed, fill=(255, 255, 255))
    return im


def torchvision(path):
    im = Image.open(path).convert("RGB")
    w, h = im.size
    if w <= h:
        nw, nh = 256, int(256 * h / w)
    else:
        nw, nh = int(256 * w / h), 256
    im = im.resize((nw, nh), Image.BILINEAR)
    left, top = int(round((nw - 224) / 2.0)), int(round((nh - 224) / 2.0))
    im = im.crop((left, top, left + 224, top + 224))
    t = np.asarray(im, dtype=np.float32) / np.float32(255)
    return ((t - mean) / std).transpose(2, 0, 1)


for name, (w, h, seed, ext, kw) in {
    "discs": (300, 200, 1, "png", {}),
    "stripes": (257, 411, 2, "jpg", {"quality": 92}),
    "shapes": (640, 480, 3, "webp", {"lossless": True}),
}.items():
    path = "%s/%s.%s" % (out, name, ext)
    picture(w, h, seed).save(path, **kw)
    torchvision(path).astype("<f4").tofile("%s/%s.tv.bin" % (out, name))
    print(path)
