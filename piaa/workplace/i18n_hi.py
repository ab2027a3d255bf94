"""Hindi text of the workplace pages."""
from piaa.i18n import register

register("hi", {
    "My competency profile": "मेरी दक्षता प्रोफ़ाइल",
    "Workplace assessment": "कार्यस्थल मूल्यांकन",
    "Required level": "आवश्यक स्तर",
    "Proctored level": "पर्यवेक्षित परीक्षा स्तर",
    "Workplace rating": "कार्यस्थल रेटिंग",
    "Gap": "अंतर",
    "Raters": "रेटिंग देने वाले",
    "Agreement": "सहमति",
    "Low agreement": "कम सहमति",
    "Not observed": "देखा नहीं गया",
    "Supervisor": "पर्यवेक्षक",
    "Peers": "सहकर्मी",
    "Reports": "अधीनस्थ",
    "Self": "स्वयं",
    "Nominate a rater": "रेटिंग देने वाला नामित करें",
    "Relation": "संबंध",
    "Submit ratings": "रेटिंग जमा करें",
    "Thank you: your ratings are recorded.": "धन्यवाद: आपकी रेटिंग दर्ज हो गई है।",
    "Open a workplace assessment": "कार्यस्थल मूल्यांकन आरंभ करें",
    "Rating requests": "रेटिंग अनुरोध",
    "shown for at least three raters": "कम से कम तीन रेटिंग होने पर ही दिखाया जाता है",
})
