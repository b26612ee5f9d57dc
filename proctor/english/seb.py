"""English for the seb pages."""

EN: dict[str, str] = {
    "Safe Exam Browser": "Safe Exam Browser",  # the link to the page from a session's pages
    "Safe Exam Browser của ca thi": "The session's Safe Exam Browser",
    "Yêu cầu SEB": "SEB requirement",
    "Bắt buộc": "Required",
    "Không bắt buộc": "Not required",
    "Chưa lưu cấu hình": "No settings saved yet",
    "Tệp cấu hình": "Configuration file",
    "Lưu lúc": "Saved at",
    "Khi bắt buộc, thí sinh của ca thi chỉ làm bài được bằng Safe Exam Browser chạy đúng tệp "
    "cấu hình này: mọi trang thi, mọi lần lưu bài và nộp bài đều được kiểm tra.":
        "When required, the session's candidates can only sit in a Safe Exam Browser running "
        "exactly this configuration file: every exam page, every answer save and the "
        "submission are checked.",
    "Chưa lưu được cấu hình:": "The settings were not saved:",
    "Bắt buộc làm bài bằng Safe Exam Browser": "Require Safe Exam Browser",
    "Địa chỉ bắt đầu": "Start URL",
    "Trang đăng nhập của thí sinh, đúng địa chỉ mà máy thi dùng để vào máy chủ thi.":
        "The candidates' login page, at the exact address the exam computers use to reach "
        "the exam server.",
    "Mật khẩu thoát SEB": "SEB quit password",
    "Cán bộ coi thi nhập mật khẩu này để thoát SEB; nên dùng chữ không dấu. Để trống để giữ "
    "mật khẩu hiện tại.":
        "Invigilators type this password to quit SEB; letters without diacritics are safest. "
        "Leave it empty to keep the current password.",
    "Bỏ mật khẩu thoát": "Remove the quit password",
    "Địa chỉ được phép ngoài máy chủ thi (mỗi dòng một mẫu)":
        "Addresses allowed besides the exam server (one pattern per line)",
    "Để trống: SEB không lọc địa chỉ. Nếu điền, SEB chỉ mở máy chủ thi và các mẫu này, ví dụ "
    "tailieu.example.vn/*.":
        "Empty: SEB filters no address. If filled, SEB opens only the exam server and these "
        "patterns, for example tailieu.example.vn/*.",
    "Browser Exam Key được phép (mỗi dòng một khoá)": "Allowed Browser Exam Keys (one per line)",
    "Mỗi khoá gồm 64 chữ số hệ mười sáu. Khoá phụ thuộc cả bản SEB lẫn tệp cấu hình: mở tệp "
    ".seb đã lưu bằng SEB trên một máy thi để đọc khoá, mỗi bản SEB một khoá. Để trống thì chỉ "
    "kiểm tra Config Key.":
        "Each key is 64 hexadecimal digits. A key depends on both the SEB build and the "
        "configuration file: open the saved .seb file in SEB on an exam computer to read it, "
        "one key per SEB build. Empty: only the Config Key is checked.",
    "Ghi chú": "Note",
    "Lưu cấu hình": "Save settings",
    "Đổi địa chỉ, mật khẩu thoát hay địa chỉ được phép sẽ tạo Config Key mới: phải cài lại tệp "
    ".seb trên mọi máy thi, và không đổi được nữa khi đã có thí sinh bắt đầu làm bài.":
        "Changing the address, the quit password or the allowed addresses makes a new Config "
        "Key: the .seb file must be installed again on every exam computer, and no such "
        "change is possible once a candidate has started.",
    "Lịch sử thay đổi": "Change history",
    "Thời điểm": "Time",
    "Người thực hiện": "By",
    "Mật khẩu thoát": "Quit password",
    "Không có": "None",
    "Giữ nguyên": "Kept",
    "Đặt mới": "Newly set",
    "Đã bỏ": "Removed",
    "Chưa có thay đổi nào.": "No changes yet.",
}
