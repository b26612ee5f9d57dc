"""English for the rooms pages (setup, seats, photos, attendance). Strings the kernel or another
proctor page already translates (Phòng thi, Số báo danh, Giám thị, Mở phòng thi …) keep theirs."""

EN: dict[str, str] = {
    "Phòng thi và chỗ ngồi": "Rooms and seats",
    "Trang ca thi": "Session page",
    "Không ảnh nào được lưu. Hãy sửa các tệp sau rồi tải lên lại:":
        "No photo was stored. Fix these files and upload again:",
    "Ca thi đã kết thúc: phòng thi, giám thị và chỗ ngồi không thay đổi được nữa.":
        "The session is closed: its rooms, proctors and seats can no longer change.",
    # settings
    "Cài đặt coi thi": "Invigilation settings",
    "Số giám thị mỗi phòng": "Proctors per room",
    "Được vào muộn tối đa (phút sau khi mở phòng)":
        "Late entry allowed up to (minutes after the room opens)",
    "Tính là đúng giờ trong (phút)": "Counts as on time within (minutes)",
    "Yêu cầu toàn màn hình": "Require full screen",
    # a room
    "Đã đóng lúc": "Closed at",
    "Đang mở từ": "Open since",
    "Chưa mở": "Not open yet",
    "Thí sinh chưa bắt đầu làm bài sẽ bị ghi nhận vắng thi.":
        "Candidates who have not started will be marked absent.",
    "Danh sách thí sinh phòng thi (PDF)": "Room list (PDF)",
    "In thẻ dự thi của phòng": "Print the room's exam cards",
    "Phòng này chưa đủ giám thị:": "This room has too few proctors:",
    "Chưa có tài khoản giám thị nào.": "There is no proctor account yet.",
    "Lưu phân công": "Save assignment",
    "dự phòng": "spare",
    "Sửa phòng thi": "Edit the room",
    "Tên phòng": "Room name",
    "Số hàng": "Rows",
    "Số cột": "Columns",
    "Chỗ dự phòng": "Spare seats",
    "Thêm phòng thi": "Add a room",
    "Ca thi chưa chia phòng: thí sinh vào thi như trước, không cần mở phòng.":
        "The session has no rooms: candidates start as before, no room needs opening.",
    "Chỗ ngồi ghi bằng chữ cái của hàng và số của cột: A1, A2 … B1 …; chỗ dự phòng để trống "
    "cho thí sinh chuyển máy.": "Seats are named by row letter and column number: A1, A2 … "
    "B1 …; spare seats stay free for candidates moved to another computer.",
    # attendance
    "Điểm danh": "Attendance",
    "Có mặt": "Present",
    "Muộn": "Late",
    "Chưa vào": "Not yet in",
    "Chỗ ngồi": "Seat",
    "Bắt đầu lúc": "Started at",
    "được cho vào muộn": "allowed in late",
    "đã hết giờ vào muộn": "late window over",
    "Cho vào muộn": "Let in late",
    # seats and photos
    "Thí sinh, chỗ ngồi và ảnh": "Candidates, seats and photos",
    "Xếp chỗ tự động": "Seat automatically",
    "Theo thứ tự số báo danh, lần lượt từng phòng, không dùng chỗ dự phòng.":
        "In candidate-number order, room by room, leaving spare seats free.",
    "Đã xếp chỗ": "Seated",
    "Tệp .zip ảnh thí sinh": "A .zip of candidates' photos",
    "Tải ảnh lên": "Upload photos",
    "Mỗi ảnh JPEG hoặc PNG đặt tên theo số báo danh (ví dụ BN0001.jpg). Chỉ lưu khi mọi tệp "
    "đều đúng; tải lại sẽ thay ảnh cũ.": "One JPEG or PNG photo per candidate, named by "
    "candidate number (BN0001.jpg, say). Nothing is stored unless every file is right; "
    "uploading again replaces earlier photos.",
    "ảnh": "photo",
    "Xếp chỗ": "Seat",
    "chưa có ảnh": "no photo yet",
    "Tải ảnh": "Upload photo",
    "Xếp": "Seat",
}
