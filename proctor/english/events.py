"""English for the exam page's reactions to the proctor (pause, move, full screen)."""

EN: dict[str, str] = {
    "Ca thi này yêu cầu làm bài ở chế độ toàn màn hình.":
        "This exam must be taken in full screen.",
    "Vào chế độ toàn màn hình": "Enter full screen",
    "Bài thi đang tạm dừng theo yêu cầu của cán bộ coi thi":
        "The exam is paused at the invigilator's request",
    "Đồng hồ làm bài đã dừng: thời gian tạm dừng không bị tính. Hãy giữ nguyên trang này; bài "
    "thi sẽ tiếp tục khi cán bộ coi thi cho phép.":
        "The exam clock has stopped: the pause does not count against your time. Keep this "
        "page open; the exam continues when the invigilator allows it.",
    "Bạn đã được chuyển sang máy khác": "You have been moved to another computer",
    "Bạn đã được chuyển sang máy khác theo quyết định của cán bộ coi thi. Máy này đã ngừng lưu "
    "bài; các câu trả lời đã lưu vẫn còn nguyên trên máy chủ.":
        "The invigilator has moved you to another computer. This one has stopped saving; the "
        "answers saved so far are all on the server.",
    "Hãy làm tiếp bài thi ở máy mới theo hướng dẫn của cán bộ coi thi.":
        "Carry on with the exam on the new computer as the invigilator directs.",
}
