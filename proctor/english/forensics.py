"""English for the forensics pages."""

EN: dict[str, str] = {
    "Phân tích dấu hiệu bất thường": "Forensics: signs of irregularity",
    "Dấu hiệu bất thường là bằng chứng để Hội đồng thi xem xét, không phải kết luận vi phạm.":
        "A sign of irregularity is evidence for the exam council to consider, not a finding "
        "of misconduct.",
    "Đang phân tích…": "Analysing…",
    "Trang tự cập nhật và hiện báo cáo khi xong.":
        "The page updates itself and shows the report when it is done.",
    "Lần phân tích gần nhất không hoàn tất": "The latest analysis did not finish",
    "Phân tích lại": "Analyse again",
    "Chạy phân tích": "Run the analysis",
    "Chạy nền, không ảnh hưởng đến thí sinh; kết quả lưu thành một lần phân tích mới.":
        "Runs in the background without touching the candidates; the result is kept as a new "
        "analysis.",
    "Chỉ phân tích sau khi ca thi đã kết thúc.":
        "Forensics run only after the session has been closed.",
    "Còn thí sinh đang làm bài: chỉ phân tích khi mọi bài đã nộp.":
        "Candidates are still sitting: forensics run once every paper is in.",
    "Chưa có lần phân tích nào của ca thi này.": "This session has not been analysed yet.",
    "Lần phân tích số": "Analysis number",
    "Hoàn tất lúc": "Finished at",
    "Người yêu cầu": "Requested by",
    "Bài làm đã nộp": "Submitted papers",
    "câu một lựa chọn": "single-choice",
    "Cặp thí sinh cùng phòng đã so sánh": "Pairs in the same room compared",
    "Câu trả lời có thời gian": "Answers with a time",
    "Câu trả lời đã sửa": "Answers changed",
    "Cặp thí sinh có đáp án giống nhau bất thường": "Pairs with unusually similar answers",
    "Không có cặp thí sinh nào bị đánh dấu.": "No pair of candidates is flagged.",
    "Vị trí ngồi": "Seating",
    "Cùng đáp án": "Same answers",
    "Cùng phương án sai": "Same wrong options",
    "Chỉ số tương đồng (kỳ vọng)": "Similarity index (expected)",
    "Không rõ chỗ ngồi": "Seats unknown",
    "Ngồi cạnh nhau": "Side by side",
    "Không ngồi cạnh nhau": "Not side by side",
    "Các câu cùng chọn phương án sai": "Questions with the same wrong option",
    "Thí sinh có dấu hiệu bất thường": "Candidates with signs of irregularity",
    "Không có thí sinh nào bị đánh dấu.": "No candidate is flagged.",
    "Độ phù hợp lz*": "Person fit lz*",
    "Trả lời đúng nhanh bất thường (kỳ vọng)": "Unusually fast correct answers (expected)",
    "Sửa từ sai thành đúng / số lần sửa (kỳ vọng)":
        "Wrong-to-right changes / changes (expected)",
    "Các câu đúng nhanh bất thường": "Questions answered right unusually fast",
    "Phân bố lz* của thí sinh trong ca thi": "Distribution of lz* in the session",
    "lz* âm nhiều: mẫu trả lời khó giải thích bằng năng lực của thí sinh; vạch đỏ là thí sinh "
    "bị đánh dấu.":
        "A strongly negative lz*: an answer pattern the candidate's ability hardly explains; "
        "red lines mark the flagged candidates.",
    "Cặp đã so sánh": "Pairs compared",
    "Cặp bị đánh dấu": "Pairs flagged",
    "Câu hỏi dùng tham số mặc định": "Questions with default parameters",
    "Cách đọc báo cáo": "How to read this report",
    "Đáp án giống nhau: mỗi cặp thí sinh cùng phòng được so với xác suất hai người làm bài độc "
    "lập cùng chọn từng phương án; trùng một phương án sai ít người chọn nặng ký hơn trùng một "
    "đáp án đúng dễ.":
        "Similar answers: each pair in a room is compared with the chance that two people "
        "working independently pick each option; sharing a rarely chosen wrong option weighs "
        "far more than sharing the right answer to an easy question.",
    "Độ phù hợp lz*: mẫu trả lời so với năng lực ước lượng; thời gian: mô hình log-chuẩn theo "
    "tốc độ của thí sinh và độ dài của câu; sửa đáp án: số lần sửa từ sai thành đúng so với "
    "thí sinh cùng mức năng lực.":
        "Person fit lz*: the answer pattern against the estimated ability; times: the "
        "log-normal model of the candidate's speed and each question's time intensity; answer "
        "changes: wrong-to-right changes against candidates of similar ability.",
    "Số thí sinh": "Candidates",
    "Cùng đáp án đúng": "Same right answer",
    "Cùng một phương án sai": "Same wrong option",
    "Khác đáp án": "Different answers",
    "Đáp án của hai thí sinh theo từng câu": "The two candidates' answers, question by question",
    "Thời gian trả lời so với kỳ vọng, từng câu":
        "Response time against expectation, question by question",
    "Độ lệch thời gian (z)": "Time residual (z)",
    "Nhanh bất thường": "Unusually fast",
    "Đang chờ yêu cầu hoàn tất": "Waiting for the request to finish",
    "Đang đọc bài làm của thí sinh": "Reading the candidates' papers",
    "Đang tính các chỉ số bất thường": "Computing the indices",
    "Đang lưu báo cáo": "Saving the report",
}
