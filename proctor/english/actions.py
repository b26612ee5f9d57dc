"""English for the actions pages (the candidate's desk, accommodations, second logins). The
action names and reason labels shared with the live room are in ``live``."""

EN: dict[str, str] = {
    # the candidate's desk (action_candidate.html)
    "chỗ ngồi": "seat",
    "Chưa xếp phòng": "No room yet",
    "Chưa bắt đầu": "Not started",
    "Đang tạm dừng": "Paused",
    "Ca thi chưa xếp đề": "The session is not scheduled yet",
    "Hạn nộp bài": "Deadline",
    "Đã tạm dừng tổng cộng": "Paused in total",
    "chữ lớn": "large text",
    "Nhập hoặc sửa hỗ trợ": "Enter or change the accommodation",
    "Máy cũ sẽ dừng lưu bài; thí sinh đăng nhập lại ở máy mới, mọi câu trả lời đã lưu vẫn "
    "còn.": "The old computer stops saving; the candidate logs in again at the new one, with "
            "every saved answer.",
    "Cả phòng": "The whole room",
    "Nhật ký thao tác": "Action log",
    "Cho làm tiếp": "Resumed",
    "Cả phòng làm tiếp": "Room resumed",
    "Xử lý kỷ luật": "Sanction",
    "Lúc": "At",
    # accommodation.html
    "Nhập trước giờ thi: thời gian hỗ trợ được cộng vào bài thi trước khi thí sinh bắt đầu. "
    "Khi thí sinh đã bắt đầu, chỉ còn đổi được chữ lớn và ghi chú; thời gian thì dùng «Cộng "
    "thêm giờ».": "Enter before the exam: the extra time is added to the attempt before the "
                  "candidate starts. Once he has started only large text and the note can "
                  "change; for time use \"Give extra time\".",
    "Thí sinh đã bắt đầu làm bài.": "The candidate has started.",
    "Hệ số thời gian (ví dụ 1,5 là thêm một nửa thời gian làm bài)":
        "Time multiplier (e.g. 1.5 adds half the duration)",
    "Ghi chú": "Note",
    "Lý do, căn cứ (ví dụ: giấy xác nhận khuyết tật)":
        "Reason and grounds (e.g. a disability certificate)",
    "Về trang thao tác của thí sinh": "Back to the candidate's actions",
    # second logins: the proctor's waiting list and the candidate's waiting page
    "Đăng nhập lần hai — chuyển máy?": "Second login — move computer?",
    "Bài thi này đang mở ở một máy khác. Cho vào là chuyển thí sinh sang máy này: máy cũ dừng "
    "lưu bài, các câu đã lưu vẫn còn.": "This attempt is open on another computer. Admitting "
                                       "moves the candidate to this one: the old one stops "
                                       "saving; saved answers are kept.",
    "Lý do chuyển máy": "Reason for the move",
    "Ví dụ: máy cũ hỏng": "E.g. the old computer failed",
    "Xác nhận chuyển máy": "Confirm the move",
    "Bài thi này đang được làm ở một máy khác. Cán bộ coi thi phải xác nhận chuyển bạn sang máy "
    "này; khi đó máy cũ dừng lại và mọi câu trả lời đã lưu sẽ hiện ở đây. Trang này tự cập "
    "nhật; xin đừng đóng trang.": "This exam is being taken on another computer. The "
                                 "invigilator must confirm moving you to this one; the old one "
                                 "then stops, and every saved answer appears here. This page "
                                 "updates itself; please keep it open.",
}
