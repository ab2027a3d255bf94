"""Hindi for the pages a learner sees when a learning platform launches them into PIAA."""
from piaa.i18n import register

HINDI = {
    "Your assessment is ready": "आपका मूल्यांकन तैयार है",
    "Add a PIAA assessment to your course": "अपने पाठ्यक्रम में PIAA मूल्यांकन जोड़ें",
    "Pick the assessment window the new link opens. Learners who follow it sit that assessment in PIAA, and their result goes to your course's gradebook.":
        "वह मूल्यांकन अवधि चुनें जिसे नया लिंक खोलेगा। इसका अनुसरण करने वाले शिक्षार्थी PIAA में वह मूल्यांकन देंगे, "
        "और उनका परिणाम आपके पाठ्यक्रम की अंक-पुस्तिका में जाएगा।",
    "No assessment window of PIAA is open or planned for this platform's learners. Ask PIAA's administrator to open one.":
        "इस प्लेटफ़ॉर्म के शिक्षार्थियों के लिए PIAA की कोई मूल्यांकन अवधि खुली या नियोजित नहीं है। "
        "PIAA के प्रशासक से एक खोलने को कहें।",
    "Assessment window": "मूल्यांकन अवधि",
    "Add the link": "लिंक जोड़ें",
    "Returning to your course": "आपके पाठ्यक्रम पर लौट रहे हैं",
    "Return to the course with the link": "लिंक के साथ पाठ्यक्रम पर लौटें",
    "Open the assessment": "मूल्यांकन खोलें",
    "Open it in a new window": "इसे नई विंडो में खोलें",
    "Assessment": "मूल्यांकन",
    "Signed in from your learning platform as": "आपके शिक्षण प्लेटफ़ॉर्म से इस नाम से साइन इन:",
    "The assessment opens in a full window so that it can be proctored.":
        "मूल्यांकन पूरी विंडो में खुलता है ताकि उसकी निगरानी की जा सके।",
    "This link works once and for two minutes.": "यह लिंक एक बार और दो मिनट तक काम करता है।",
    "The launch was refused": "लॉन्च अस्वीकार किया गया",
    "Reason code": "कारण कोड",
    "Go back to your learning platform and launch the assessment again.":
        "अपने शिक्षण प्लेटफ़ॉर्म पर लौटें और मूल्यांकन फिर से लॉन्च करें।",
    "Learning platforms (LTI)": "शिक्षण प्लेटफ़ॉर्म (LTI)",
    "What to give the platform": "प्लेटफ़ॉर्म को क्या दें",
    "Login initiation URL": "लॉगिन आरंभ URL",
    "Launch (redirect) URL": "लॉन्च (रीडायरेक्ट) URL",
    "Public key set (JWKS) URL": "सार्वजनिक कुंजी सेट (JWKS) URL",
    "Custom parameter of each link": "प्रत्येक लिंक का कस्टम पैरामीटर",
    "assessment code": "मूल्यांकन कोड",
    "Register a platform": "प्लेटफ़ॉर्म पंजीकृत करें",
    "Register the platform": "प्लेटफ़ॉर्म पंजीकृत करें",
    "Registered platforms": "पंजीकृत प्लेटफ़ॉर्म",
    "Issuer": "जारीकर्ता",
    "Client id": "क्लाइंट आईडी",
    "Deployment ids": "डिप्लॉयमेंट आईडी",
    "Separated by spaces or commas.": "स्पेस या कॉमा से अलग करें।",
    "Link by e-mail": "ई-मेल से जोड़ें",
    "Link learners to existing candidate accounts by the e-mail the platform sends":
        "प्लेटफ़ॉर्म द्वारा भेजे गए ई-मेल से शिक्षार्थियों को मौजूदा अभ्यर्थी खातों से जोड़ें",
    "None yet.": "अभी कोई नहीं।",
    "Results sent out": "भेजे गए परिणाम",
    "Attempt": "प्रयास",
    "To": "किसे",
    "Tries": "प्रयास संख्या",
    "Last answer": "अंतिम उत्तर",
    "gradebook": "ग्रेडबुक",
    "webhook": "वेबहुक",
    "pending": "लंबित",
    "delivered": "पहुँचा",
    "gave_up": "छोड़ दिया",
}
register("hi", HINDI)
