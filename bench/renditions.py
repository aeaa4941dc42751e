"""Time and peak memory to make every rendition of a 24-megapixel JPEG (`make bench`).

The photo is generated here: 6000 x 4000 pixels of photo-like content (gradients, shapes, grain), EXIF
orientation 6 (turned camera) and a GPS block, with an embedded RGB colour profile that is not tagged sRGB, so the
colour conversion runs too. Each measurement runs in a fresh Python process, so its peak resident memory
(ru_maxrss) is that work alone on top of the interpreter, Django and Pillow (printed as the baseline).

    python bench/renditions.py             # renditions from the stored photo (the upload-time and command path)
    python bench/renditions.py --upload    # also the upload check and re-encoding of the same file
"""

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 1.0
TARGET_MB = 250


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django():
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    import django

    django.setup()


def generate(path):
    from PIL import Image, ImageCms, ImageDraw

    size = (6000, 4000)
    gradient = Image.linear_gradient("L")
    channels = [
        gradient.resize(size),
        gradient.rotate(90).resize(size),
        Image.effect_noise((600, 400), 40).resize(size),
    ]
    image = Image.blend(Image.merge("RGB", channels), Image.effect_noise(size, 12).convert("RGB"), 0.15)
    draw = ImageDraw.Draw(image)
    for i in range(80):
        x, y = (i * 977) % 5800, (i * 613) % 3800
        draw.ellipse((x, y, x + 150 + i * 4, y + 120 + i * 3), fill=((i * 40) % 256, (i * 90) % 256, (i * 20) % 256))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Bench camera"
    exif.get_ifd(0x8825)[1] = "N"
    # sRGB primaries under another name: not recognised as sRGB, so the renditions go through the conversion.
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes().replace(b"sRGB", b"xRGB")
    image.save(path, "JPEG", quality=90, exif=exif, icc_profile=profile)


def child(path, mode):
    setup_django()
    from articles import services

    baseline = peak_mb()
    started = time.perf_counter()
    count = total_bytes = 0
    with tempfile.TemporaryDirectory() as out:
        if mode == "upload":
            from django.core.files.uploadedfile import SimpleUploadedFile

            upload = SimpleUploadedFile("照片.jpg", Path(path).read_bytes(), "image/jpeg")
            clean = services.prepare_image_upload(upload)
            total_bytes = len(clean.read())
            count = 1
        else:
            with open(path, "rb") as source:
                for kind, width, image in services.render_photo(source):
                    for rendition_format in services.RENDITION_FORMATS:
                        data = services.encode_rendition(image, rendition_format)
                        Path(out, f"{kind}-{width}.{rendition_format}").write_bytes(data)
                        count += 1
                        total_bytes += len(data)
    elapsed = time.perf_counter() - started
    print(f"{elapsed:.3f} {peak_mb():.1f} {baseline:.1f} {count} {total_bytes}")


def run(path, mode):
    result = subprocess.run(
        [sys.executable, __file__, "--child", mode, path], check=True, capture_output=True, text=True, cwd=BASE_DIR
    )
    seconds, peak, baseline, count, total_bytes = result.stdout.split()
    return float(seconds), float(peak), float(baseline), int(count), int(total_bytes)


def main():
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[3], sys.argv[2])
        return
    if sys.argv[1:2] == ["--generate"]:
        generate(sys.argv[2])
        return
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder, "24mp.jpg"))
        # In its own process too: Linux carries the peak memory of a parent into the processes it starts.
        subprocess.run([sys.executable, __file__, "--generate", path], check=True)
        print(f"photo: 6000x4000 JPEG, EXIF orientation 6, colour profile, {os.path.getsize(path) / 1e6:.1f} MB")
        runs = [run(path, "renditions") for _ in range(3)]
        seconds, peak, baseline, count, total_bytes = min(runs)
        ok = seconds < TARGET_SECONDS and peak < TARGET_MB
        print(
            f"renditions: {count} files ({total_bytes / 1e6:.1f} MB) in {seconds:.2f} s (best of 3), "
            f"peak RSS {peak:.0f} MB (interpreter, Django and Pillow alone: {baseline:.0f} MB); "
            f"target < {TARGET_SECONDS} s and < {TARGET_MB} MB: {'ok' if ok else 'MISSED'}"
        )
        if "--upload" in sys.argv:
            seconds, peak, baseline, _count, total_bytes = run(path, "upload")
            print(
                f"upload check and re-encoding of the same file: {seconds:.2f} s, peak RSS {peak:.0f} MB, "
                f"stored original {total_bytes / 1e6:.1f} MB"
            )
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
