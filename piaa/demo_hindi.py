"""The Hindi of the demo's records: the sample banks, the agencies, providers and ministries,
the demo's assessments, cohorts, windows, courses and standard settings. ``piaa demo`` fills
each record's ``*_hi`` field where it is empty, as an administrator would in the forms."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

DEMO = "डेमो"

ORGANISATIONS = {
    "Institute of Secretariat Training and Management": "सचिवालय प्रशिक्षण एवं प्रबंध संस्थान",
    "Indian Institute of Public Administration": "भारतीय लोक प्रशासन संस्थान",
    "National Academy of Customs, Indirect Taxes and Narcotics": "राष्ट्रीय सीमा शुल्क, अप्रत्यक्ष कर एवं नारकोटिक्स अकादमी",
    "Lal Bahadur Shastri National Academy of Administration": "लाल बहादुर शास्त्री राष्ट्रीय प्रशासन अकादमी",
    "Department of Personnel and Training (demo)": f"कार्मिक और प्रशिक्षण विभाग ({DEMO})",
    "Capacity Building Commission (demo)": f"क्षमता निर्माण आयोग ({DEMO})",
    "ISTM (demo)": f"आईएसटीएम ({DEMO})",
    "Institute of Evidence for Governance (demo)": f"शासन हेतु साक्ष्य संस्थान ({DEMO})",
    "Regional Administrative Academy (demo)": f"क्षेत्रीय प्रशासनिक अकादमी ({DEMO})",
    "Centre for Policy Analytics (demo)": f"नीति विश्लेषण केंद्र ({DEMO})",
    "State Institute of Rural Development (demo)": f"राज्य ग्रामीण विकास संस्थान ({DEMO})",
    "District Training Centre (demo)": f"ज़िला प्रशिक्षण केंद्र ({DEMO})",
    "Small Learning Studio (demo)": f"लघु अधिगम स्टूडियो ({DEMO})",
    "Ministry of Health and Family Welfare (demo)": f"स्वास्थ्य और परिवार कल्याण मंत्रालय ({DEMO})",
    "Ministry of Rural Development (demo)": f"ग्रामीण विकास मंत्रालय ({DEMO})",
    "Department of School Education and Literacy (demo)": f"स्कूल शिक्षा और साक्षरता विभाग ({DEMO})",
}

BANKS = {
    "ASO Office Procedure": (
        "एएसओ कार्यालय कार्यविधि",
        "नमूना सामग्री: केंद्रीय सचिवालय के सहायक अनुभाग अधिकारियों के लिए कार्यालय कार्यविधि, टिप्पण और "
        "प्रारूपण, केंद्रीय सचिवालय कार्यालय कार्यविधि नियमपुस्तिका पर आधारित (आवतियाँ और डायरी, फ़ाइलें और "
        "उनका संचलन, टिप्पण, पत्राचार के रूप, अभिलेख और ई-ऑफ़िस)। PIAA के लिए नमूना सामग्री के रूप में लिखा "
        "गया; नामित संस्थान का आधिकारिक बैंक नहीं। पूरी तरह द्विभाषी (अंग्रेज़ी और हिन्दी)।"),
    "Data-informed Decision Making for District Officials": (
        "ज़िला अधिकारियों के लिए आँकड़ा-आधारित निर्णय",
        "नमूना सामग्री: ज़िला अधिकारियों के लिए तालिकाएँ और चार्ट पढ़ना, दरें और प्रतिशत, औसत और माध्यिका, "
        "IMR और MMR जैसे संकेतक, प्रतिचयन और पूर्वाग्रह, सहसंबंध और कार्य-कारण, डैशबोर्ड और सर्वेक्षण की "
        "रचना। PIAA के लिए नमूना सामग्री के रूप में लिखा गया; नामित संस्थान का आधिकारिक बैंक नहीं।"),
    "GST Law and Procedure": (
        "जीएसटी विधि और प्रक्रिया",
        "नमूना सामग्री: कर अधिकारियों के लिए CGST और IGST अधिनियम, 2017 तथा CGST नियम, 2017 (2024 की "
        "स्थिति के अनुसार) के अंतर्गत वस्तु एवं सेवा कर की विधि और प्रक्रिया (उद्ग्रहण और पंजीकरण, आपूर्ति, "
        "आपूर्ति का समय और स्थान, इनपुट टैक्स क्रेडिट, रिटर्न, बीजक और ई-वे बिल, माँग, वसूली और अपील)। PIAA "
        "के लिए नमूना सामग्री के रूप में लिखा गया; नामित अकादमी का आधिकारिक बैंक नहीं।"),
    "Stakeholder Engagement and Empathy": (
        "हितधारक सहभागिता और समानुभूति",
        "नमूना सामग्री: नागरिकों, निर्वाचित प्रतिनिधियों, नागरिक समाज संगठनों, सहकर्मियों और शिकायतों से "
        "जुड़े ज़िला और मंत्रालय अधिकारियों के लिए हितधारक सहभागिता और समानुभूति पर परिस्थितिजन्य निर्णय और "
        "स्व-मूल्यांकन प्रश्न। PIAA के लिए नमूना सामग्री के रूप में लिखा गया; नामित अकादमी का आधिकारिक बैंक "
        "नहीं। द्विभाषी (अंग्रेज़ी और हिन्दी)।"),
}

COHORTS = {
    "Demo officials": "डेमो अधिकारी",
    "Field-trial officials (demo)": f"क्षेत्र-परीक्षण अधिकारी ({DEMO})",
    "Course learners (demo)": f"पाठ्यक्रम के शिक्षार्थी ({DEMO})",
}
WINDOWS = {"Field trial, round 1": "क्षेत्र परीक्षण, पहला चरण", "Field trial, round 2": "क्षेत्र परीक्षण, दूसरा चरण"}
COURSES = {
    "Evidence for district decisions": "ज़िला निर्णयों के लिए साक्ष्य",
    "Working with numbers in government": "सरकार में संख्याओं के साथ काम",
    "Data analysis for policy officers": "नीति अधिकारियों के लिए आँकड़ा विश्लेषण",
    "Dashboards for block officers": "प्रखंड अधिकारियों के लिए डैशबोर्ड",
    "Reading district data": "ज़िले के आँकड़े पढ़ना",
    "Data stories (pilot batch)": "आँकड़ों की कहानियाँ (पायलट बैच)",
}
# How the demo's assessment codes name an assessment after its competency.
TITLE_BY_PREFIX = {"DEMO-": "{name} (डेमो)", "PILOT-": "{name}: क्षेत्र परीक्षण",
                   "PRE-": "{name}: पाठ्यक्रम से पहले", "POST-": "{name}: पाठ्यक्रम के बाद"}
BOOKMARK_PANEL = "{title}: बुकमार्क पैनल (अनुकारित)"


def add_hindi(session: Session) -> int:
    """Fill the empty Hindi fields of the demo's records; returns how many were filled."""
    from piaa.accounts.models import Organisation
    from piaa.delivery.models import Assessment, Cohort, Window
    from piaa.items.models import ItemBank
    from piaa.reports.models import Course
    from piaa.standard_setting.models import StandardSetting

    filled = 0

    def fill(record, field: str, value: str | None) -> None:
        nonlocal filled
        if value and not getattr(record, field):
            setattr(record, field, value)
            filled += 1

    for org in session.scalars(select(Organisation)):
        fill(org, "name_hi", ORGANISATIONS.get(org.name))
    for bank in session.scalars(select(ItemBank)):
        name_hi, description_hi = BANKS.get(bank.name, (None, None))
        fill(bank, "name_hi", name_hi)
        fill(bank, "description_hi", description_hi)
    for cohort in session.scalars(select(Cohort)):
        fill(cohort, "name_hi", COHORTS.get(cohort.name))
    for assessment in session.scalars(select(Assessment)):
        prefix = next((p for p in TITLE_BY_PREFIX if assessment.code.startswith(p)), None)
        if prefix and assessment.competency.name_hi:
            fill(assessment, "title_hi", TITLE_BY_PREFIX[prefix].format(name=assessment.competency.name_hi))
    for window in session.scalars(select(Window)):
        default = f"{window.assessment.title}: {window.cohort.name}"
        if window.name in WINDOWS:
            fill(window, "name_hi", WINDOWS[window.name])
        elif window.name == default and window.assessment.title_hi:
            fill(window, "name_hi", f"{window.assessment.title_hi}: {window.cohort.name_hi or window.cohort.name}")
    for course in session.scalars(select(Course)):
        fill(course, "title_hi", COURSES.get(course.title))
    for setting in session.scalars(select(StandardSetting)):
        assessment = session.get(Assessment, setting.assessment_id)
        if setting.title.endswith(": bookmark panel (simulated)") and assessment.title_hi:
            fill(setting, "title_hi", BOOKMARK_PANEL.format(title=assessment.title_hi))
    session.flush()
    return filled
