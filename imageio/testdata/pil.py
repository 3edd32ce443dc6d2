#!/usr/bin/python3
"""Makes imageio's test fixtures with PIL (Debian python3-pil, python3-numpy).

Run from this directory: /usr/bin/python3 pil.py. Deterministic: the source
image is a formula, not random. Writes
  src.png                 160x120 RGB source (gradients, discs, fine stripes)
  src.{jpg,gif,bmp,tiff,webp}  the same image in the other formats
  small.png               its top-left 64x48 corner (src.bmp holds that, uncompressed)
  dec_<fmt>.png           PIL's decoding of the lossy ones (jpg, gif), as RGB PNG
  rs_<W>x<H>.png          PIL Image.resize((W, H), Image.BILINEAR) of src.png
  tv_224.png              PIL's resize to 341x256 and centre crop 224 (torchvision before ToTensor)
  tv_<S>.bin              torchvision preprocessing at SxS (Resize(floor(S/0.875)),
                          CenterCrop(S), ToTensor, Normalize), float32 NCHW
  keras_<H>x<W>.bin       resize to WxH, x/127.5-1, float32 NHWC
  paddle_<H>x<W>.bin      BGR, resize, x*(1/255), (x-mean)/std, float32 NCHW
  caffe_<H>x<W>.bin       BGR, resize, x-[103.939,116.779,123.68], float32 NCHW
  gray_<H>x<W>.bin        convert("L") after resize, /255 raw-unscaled: 0..255 float32
  rsc_<W>x<H>.png         PIL Image.resize((W, H), Image.BICUBIC) of src.png
  timm_224.png            timm's eval transform before ToTensor at 224, crop_pct 0.875:
                          bicubic resize to 341x256, centre crop 224
  timm_<S>_c<P>.bin       timm's eval transform at SxS, crop_pct 0.<P> (Resize(floor(S/crop_pct),
                          BICUBIC), CenterCrop(S), ToTensor, Normalize), float32 NCHW
"""
import math

import numpy as np
from PIL import Image

W, H = 160, 120
y, x = np.mgrid[0:H, 0:W].astype(np.float64)
r = 128 + 127 * np.sin(x / 9.0) * np.cos(y / 13.0)
g = (x * 255.0 / (W - 1))
b = (y * 255.0 / (H - 1))
disc = (x - 50) ** 2 + (y - 60) ** 2 < 30 ** 2
r[disc], g[disc], b[disc] = 250, 20, 30
stripes = (x > 110) & ((x.astype(int) // 2) % 2 == 0)
r[stripes], g[stripes], b[stripes] = 0, 0, 0
src = np.clip(np.stack([r, g, b], -1).round(), 0, 255).astype(np.uint8)
img = Image.fromarray(src, "RGB")
img.save("src.png")
img.save("src.jpg", quality=90)
small = img.crop((0, 0, 64, 48))  # BMP is uncompressed: keep it small
small.save("small.png")
small.save("src.bmp")
img.save("src.tiff", compression="tiff_deflate")
img.save("src.webp", lossless=True)
img.quantize(64).save("src.gif")
for fmt in ["jpg", "gif"]:  # lossy; BMP (small.png), TIFF and WebP are lossless
    Image.open("src." + fmt).convert("RGB").save("dec_%s.png" % fmt)

for (w, h) in [(57, 41), (211, 150), (160, 77), (23, 17), (300, 120)]:
    img.resize((w, h), Image.BILINEAR).save("rs_%dx%d.png" % (w, h))

mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
std = np.array([0.229, 0.224, 0.225], dtype=np.float32)

def tv(S):
    n = int(S / 0.875)
    w, h = img.size
    if w <= h:
        nw, nh = n, int(n * h / w)
    else:
        nw, nh = int(n * w / h), n
    im = img.resize((nw, nh), Image.BILINEAR)
    left, top = int(round((nw - S) / 2.0)), int(round((nh - S) / 2.0))
    im = im.crop((left, top, left + S, top + S))
    t = np.asarray(im, dtype=np.float32) / np.float32(255)
    t = (t - mean) / std
    return t.transpose(2, 0, 1)

tv(64).astype("<f4").tofile("tv_64.bin")
# at 224 the crop itself (PNG, lossless); the test normalises it as torchvision does
n = 256
im = img.resize((int(n * 160 / 120), n), Image.BILINEAR)
left = int(round((im.size[0] - 224) / 2.0)); top = int(round((n - 224) / 2.0))
im.crop((left, top, left + 224, top + 224)).save("tv_224.png")

h, w = 40, 56
a = np.asarray(img.resize((w, h), Image.BILINEAR), dtype=np.float32)
(a / np.float32(127.5) - np.float32(1)).astype("<f4").tofile("keras_%dx%d.bin" % (h, w))
bgr = a[:, :, ::-1]
((bgr * np.float32(1.0 / 255.0) - mean) / std).transpose(2, 0, 1).astype("<f4").tofile("paddle_%dx%d.bin" % (h, w))
(bgr - np.array([103.939, 116.779, 123.68], dtype=np.float32)).transpose(2, 0, 1).astype("<f4").tofile("caffe_%dx%d.bin" % (h, w))
np.asarray(img.resize((w, h), Image.BILINEAR).convert("L"), dtype=np.float32).astype("<f4").tofile("gray_%dx%d.bin" % (h, w))

# timm (transforms_imagenet_eval, crop_mode "center", square input): the
# same steps as torchvision's with BICUBIC and floor(S / crop_pct).
for (w, h) in [(57, 41), (211, 150), (160, 77), (23, 17), (300, 120)]:
    img.resize((w, h), Image.BICUBIC).save("rsc_%dx%d.png" % (w, h))

def timm(S, crop_pct):
    n = math.floor(S / crop_pct)
    w, h = img.size
    if w <= h:
        nw, nh = n, int(n * h / w)
    else:
        nw, nh = int(n * w / h), n
    im = img.resize((nw, nh), Image.BICUBIC)
    left, top = int(round((nw - S) / 2.0)), int(round((nh - S) / 2.0))
    return im.crop((left, top, left + S, top + S))

def normalise(im):
    t = np.asarray(im, dtype=np.float32) / np.float32(255)
    return ((t - mean) / std).transpose(2, 0, 1)

normalise(timm(64, 0.95)).astype("<f4").tofile("timm_64_c95.bin")
timm(224, 0.875).save("timm_224.png")
