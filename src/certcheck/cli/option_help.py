"""The help of options that several commands share, said once (Chinese first)."""

from __future__ import annotations

#: ``--source`` of verify and lookup.
SOURCE = ("数据源：mem（国家查询平台）、samr（特种设备查询平台）、"
          "registry:文件路径（本地登记文件，CSV、XLSX 或 JSON）、"
          "replay:文件夹（--record 录下的答复）或插件名；几个一起用时重复给出或用逗号连接"
          "（mem,samr），同一类证书由先给出的数据源查询（lookup sources）")
#: ``--captcha`` of verify and lookup.
CAPTCHA = ("验证码识别方式：prompt（在终端运行时默认，提示时输入 ? 用看图程序打开）、"
           "viewer（prompt 并在看图程序中打开每张图片）、command:程序，或插件名；"
           "samr 的滑块：slider-web（在浏览器中拖动）、slider-prompt（在终端读刻度）；"
           "几个数据源时可按数据源分别指定：数据源=方式，如 samr=slider-web（captcha solver）")
#: ``--mem-url`` of verify, lookup and probe.
MEM_URL = "国家查询平台的地址（base URL of the national lookup）"
#: ``--as-of`` of verify and lookup.
AS_OF = ("核验所依据的日期，如 2026-12-01、2026/12/01、2026年12月1日（默认今天；"
         "the date every rule uses）")
