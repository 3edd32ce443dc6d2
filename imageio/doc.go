// Package imageio turns image files into model inputs and draws results
// back onto images.
//
// Decode and Load read PNG, JPEG and GIF (standard library) and WebP, BMP and
// TIFF (golang.org/x/image). Preprocess and PreprocessBatch convert decoded
// images into a float32 tensor for a model input, following one of the
// presets named after the ecosystems that trained the models:
//
//	torchvision  RGB; resize the shorter side to 256 (PIL bilinear with
//	             antialias); centre crop 224; /255; minus mean
//	             (0.485, 0.456, 0.406), over std (0.229, 0.224, 0.225).
//	             For an input of another size S the resize is ⌊S/0.875⌋
//	             (the same 0.875 crop ratio), the crop is S.
//	timm         timm's evaluation transform (its MobileNetV4 checkpoints):
//	             RGB; resize the shorter side to ⌊S/crop_pct⌋ (PIL bicubic
//	             with antialias); centre crop S (224 when symbolic); /255;
//	             minus mean (0.485, 0.456, 0.406), over std (0.229, 0.224,
//	             0.225). crop_pct is 0.875 (timm's default) unless the name
//	             sets it: "timm:crop=0.95" (MobileNetV4 conv small at its 256
//	             test size; the pretrained config says which). Any F with
//	             0 < F ≤ 1; torchvision takes crop=F too. For a non-square
//	             input the shorter side follows the smaller of H and W.
//	keras        RGB; resize to the input's size (PIL bilinear, antialias);
//	             x/127.5 − 1 (Keras' "tf" mode, MobileNet V1/V2).
//	caffe        BGR; resize to the input's size; 0–255 minus the mean pixel
//	             (103.939, 116.779, 123.68) in BGR order (Keras' "caffe" mode).
//	paddle       BGR; resize to the input's size; /255; minus mean
//	             (0.485, 0.456, 0.406), over std (0.229, 0.224, 0.225),
//	             applied to B, G, R in that order, as PaddleOCR's
//	             NormalizeImage does on OpenCV's BGR image. When the input's
//	             height and width are symbolic, the image keeps its size
//	             rounded to multiples of 32 (longest side at most 960), as
//	             PaddleOCR's DetResizeForTest does.
//	imagenet     RGB; resize to the input's size, no crop (symbolic H/W:
//	             the image's size); /255; minus mean (0.485, 0.456, 0.406),
//	             over std (0.229, 0.224, 0.225): torchvision's segmentation
//	             models.
//	raw          RGB; resize to the input's size; 0–255 unscaled (models that
//	             normalise inside, like Keras' MobileNetV3).
//
// The layout comes from the input's shape: [N,3,H,W] is NCHW, [N,H,W,3] is
// NHWC (a one-channel input takes the luminance, 0.299R+0.587G+0.114B as PIL's
// convert("L")). Height or width ≤ 0 (symbolic) take the image's own size
// (torchvision, timm: 224). Resizing matches PIL's Image.resize with
// Image.BILINEAR (Image.BICUBIC for timm: Keys' cubic, a = −0.5) bit for bit
// on 8-bit images (PIL filters with antialias when it shrinks), tested
// against fixtures made by PIL (testdata/pil.py).
//
// Drawing: Canvas copies an image into a mutable RGBA; DrawRect, DrawPolygon
// and DrawLabel draw detection results on it; SavePNG writes it.
package imageio
