"""Writes the sample scans the examples carry (every one marked 示例 — invented, not a real
document): one PNG per material, the labour contract as a 3-page PDF. Run from the checkout:
.venv/bin/python examples/materials/make_samples.py"""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
ITEMS = {
    "signed-form": ["一件事联办申请表（已签字）", "申请人签字：陆建军（示例）", "含信息共享授权"],
    "id-card": ["居民身份证（示例）", "姓名 陆建军  公民身份号码 330482********1217", "扫描件"],
    "discharge-certificate": ["退出现役证书（示例）", "陆建军同志于2025年9月退出现役", "扫描件"],
    "diploma": ["高中毕业证书（示例）", "平湖市示例中学", "扫描件"],
    "social-insurance-record": ["社会保险缴费记录（示例）", "参保单位：平湖示例汽车零部件有限公司", "2026年4月起"],
    "business-licence": ["营业执照（示例）", "平湖示例电子商务工作室", "统一社会信用代码 92330482MA2X00000X"],
    "loan-contract": ["借款合同（示例）", "借款人：示例  贷款金额 300,000 元", "扫描件"],
}


def font(size: int) -> ImageFont.FreeTypeFont:
    path = subprocess.run(["fc-match", "-f", "%{file}", "Noto Sans CJK SC"], capture_output=True, text=True).stdout
    return ImageFont.truetype(path, size)


def page(lines: list[str]) -> Image.Image:
    image = Image.new("RGB", (840, 600), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 820, 580), outline=(120, 120, 120), width=3)
    draw.text((60, 60), lines[0], fill="black", font=font(40))
    for i, line in enumerate(lines[1:]):
        draw.text((60, 160 + 60 * i), line, fill=(40, 40, 40), font=font(28))
    draw.text((560, 420), "示例", fill=(200, 0, 0), font=font(96))
    return image


def main() -> None:
    for name, lines in ITEMS.items():
        page(lines).convert("P", palette=Image.ADAPTIVE, colors=16).save(HERE / f"{name}.png", optimize=True)
    pages = [page(["劳动合同（示例）", "甲方：平湖示例汽车零部件有限公司", f"第{n}页，共3页"]) for n in (1, 2, 3)]
    pages[0].save(HERE / "labour-contract.pdf", "PDF", save_all=True, append_images=pages[1:], resolution=100)


if __name__ == "__main__":
    main()
