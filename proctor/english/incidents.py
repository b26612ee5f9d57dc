"""English for the incidents pages (biên bản, sanctions) and the staff pages' sanctions table."""

EN: dict[str, str] = {
    "Lập biên bản": "Record an incident report",
    "Biên bản đã lập không sửa, không xóa được: muốn đính chính, hãy lập biên bản mới ghi rõ số "
    "biên bản được đính chính.":
        "A saved incident report can be neither edited nor deleted: to correct one, record a new "
        "report that names the number of the report it corrects.",
    "Loại sự việc": "Kind of incident",
    "Thời điểm xảy ra (giờ Việt Nam)": "When it happened (Vietnam time)",
    "Thời điểm xảy ra": "When it happened",
    "Thí sinh liên quan": "Candidate concerned",
    "Không riêng thí sinh nào (sự việc của phòng thi)":
        "No candidate in particular (an incident of the room)",
    "Diễn biến sự việc": "What happened",
    "Người chứng kiến (mỗi dòng một họ tên)": "Witnesses (one name a line)",
    "Người chứng kiến": "Witnesses",
    "Thí sinh từ chối ký biên bản": "The candidate refused to sign the report",
    "Thí sinh từ chối ký": "The candidate refused to sign",
    "Hình thức xử lý": "Sanction",
    "Chưa xử lý kỷ luật": "No sanction yet",
    "Khiển trách: trừ 25 % điểm bài thi; cảnh cáo: trừ 50 %; đình chỉ thi: bài thi 0 điểm và thí "
    "sinh dừng làm bài ngay.":
        "Reprimand: 25 % off the test's score; warning: 50 % off; expulsion: the test scores 0 "
        "and the candidate stops at once.",
    "Lưu biên bản": "Save the report",
    "Biên bản đã lập": "Incident reports",
    "Lập biên bản mới": "Record a new report",
    "Lập biên bản mới từ trang phòng thi bạn coi.":
        "Record a new report from the page of the room you invigilate.",
    "Số": "No.",
    "Ghi chú quyết định (không bắt buộc)": "Note on the decision (optional)",
    "Quyết định xử lý": "Decide the sanction",
    "In biên bản (PDF)": "Print the report (PDF)",
    "Lập biên bản đính chính": "Record a correcting report",
    "Chưa có biên bản nào.": "No incident report yet.",
    # the staff pages' table of sanctioned candidates (exam_engine/templates/staff/_sanctions.html)
    "Thí sinh bị xử lý kỷ luật": "Sanctioned candidates",
    "Tỷ lệ trước xử lý": "Percent before the sanction",
    "Tỷ lệ sau xử lý": "Percent after the sanction",
    "Biên bản": "Incident report",
    "Chưa chấm: áp dụng khi bài thi được chấm.": "Not graded yet: applied when it is graded.",
    "Biên bản số": "Incident report no.",
    "Không có biên bản": "No incident report",
}
