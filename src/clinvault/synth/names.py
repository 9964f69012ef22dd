"""Built-in name lists and the cohort-wide ``NameBook`` that keeps person names unique.

Lists are grouped by naming culture (see :mod:`clinvault.synth.cultures`). Some names are
deliberately also common English words ("Will", "Rose", "Hope", "Brown", "Long", "He") so that
PHI detection is tested on the hard cases. A surname written ``"Ivanov|Ivanova"`` has a male
and a female form.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

Sex = Literal["male", "female"]

WORD_FIRST_NAMES: dict[Sex, tuple[str, ...]] = {
    "male": ("Will", "Bill", "Mark", "Art", "Guy", "Hunter", "Mason", "Frank", "Sky"),
    "female": (
        "Rose",
        "Hope",
        "Faith",
        "Joy",
        "June",
        "Grace",
        "Iris",
        "Pearl",
        "Dawn",
        "Summer",
        "Ivy",
        "Holly",
    ),
}
"""First names that are also ordinary English words; notes use them for the hard cases."""

WORD_SURNAMES: tuple[str, ...] = (
    "Brown",
    "White",
    "Young",
    "Green",
    "King",
    "Hill",
    "Long",
    "Rich",
    "Stone",
    "Snow",
    "Lane",
    "Price",
    "Wood",
    "Black",
    "Bell",
    "Cook",
    "Baker",
    "Hall",
    "Ford",
    "Rice",
)

NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Will", "Bill"),
    "Robert": ("Bob", "Rob"),
    "Richard": ("Rick", "Dick"),
    "Thomas": ("Tom",),
    "Charles": ("Chuck", "Charlie"),
    "Daniel": ("Dan",),
    "Michael": ("Mike",),
    "James": ("Jim", "Jimmy"),
    "Anthony": ("Tony",),
    "Edward": ("Ed", "Ted"),
    "Andrew": ("Andy",),
    "Matthew": ("Matt",),
    "Joshua": ("Josh",),
    "Steven": ("Steve",),
    "Samuel": ("Sam",),
    "Benjamin": ("Ben",),
    "Nicholas": ("Nick",),
    "Timothy": ("Tim",),
    "Jonathan": ("Jon",),
    "Gregory": ("Greg",),
    "Patrick": ("Pat",),
    "Douglas": ("Doug",),
    "Raymond": ("Ray",),
    "Ronald": ("Ron",),
    "Jeffrey": ("Jeff",),
    "Arthur": ("Art",),
    "Elizabeth": ("Liz", "Beth"),
    "Margaret": ("Peggy", "Maggie"),
    "Patricia": ("Trish", "Patty"),
    "Katherine": ("Kate",),
    "Rebecca": ("Becky",),
    "Deborah": ("Debbie",),
    "Jennifer": ("Jen",),
    "Susan": ("Sue",),
    "Victoria": ("Vicky",),
    "Dorothy": ("Dot",),
    "Abigail": ("Abby",),
    "Samantha": ("Sam",),
    "Christine": ("Chris",),
    "Alejandro": ("Alex",),
    "Francisco": ("Paco",),
    "José": ("Pepe",),
    "Guadalupe": ("Lupe",),
    "Dmitri": ("Dima",),
    "Aleksandr": ("Sasha",),
    "Ekaterina": ("Katya",),
    "Chukwuemeka": ("Emeka",),
    "Oluwaseun": ("Seun",),
    "Mohammed": ("Mo",),
    "Rosalind": ("Rose",),
    "Esperanza": ("Hope",),
    "Willard": ("Will",),
}

# fmt: off
ANGLO_MALE = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Thomas", "Charles",
    "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Andrew", "Joshua", "Kevin", "Brian",
    "George", "Edward", "Ronald", "Timothy", "Jason", "Jeffrey", "Ryan", "Gary", "Nicholas", "Eric",
    "Jacob", "Jonathan", "Larry", "Frank", "Scott", "Justin", "Brandon", "Raymond", "Gregory",
    "Samuel", "Benjamin", "Patrick", "Jack", "Dennis", "Tyler", "Aaron", "Henry", "Douglas",
    "Peter", "Walter", "Harold", "Carl", "Arthur", "Roger", "Wayne", "Ralph", "Eugene", "Russell",
    "Mason", "Hunter", "Will", "Bill", "Guy", "Willard", "Owen", "Caleb",
)
ANGLO_FEMALE = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
    "Karen", "Nancy", "Lisa", "Betty", "Margaret", "Sandra", "Ashley", "Dorothy", "Kimberly",
    "Emily", "Donna", "Michelle", "Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Rebecca",
    "Laura", "Sharon", "Cynthia", "Kathleen", "Amy", "Shirley", "Angela", "Helen", "Anna", "Brenda",
    "Pamela", "Nicole", "Emma", "Samantha", "Katherine", "Christine", "Rachel", "Catherine",
    "Carolyn", "Janet", "Ruth", "Heather", "Diane", "Virginia", "Julie", "Joyce", "Victoria",
    "Olivia", "Kelly", "Lauren", "Evelyn", "Judith", "Megan", "Hannah", "Martha", "Frances",
    "Abigail", "Madison", "Charlotte", "Rose", "Hope", "Faith", "Joy", "June", "Grace", "Iris",
    "Pearl", "Dawn", "Summer", "Ivy", "Holly", "Rosalind",
)
ANGLO_SURNAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Martin", "Thompson", "White", "Harris", "Clark", "Lewis",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams", "Baker",
    "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans",
    "Edwards", "Collins", "Stewart", "Morris", "Rogers", "Reed", "Cook", "Morgan", "Bell", "Murphy",
    "Bailey", "Cooper", "Richardson", "Howard", "Ward", "Peterson", "Gray", "Watson", "Brooks",
    "Kelly", "Sanders", "Price", "Bennett", "Wood", "Barnes", "Ross", "Henderson", "Jenkins",
    "Perry", "Powell", "Long", "Patterson", "Hughes", "Butler", "Foster", "Bryant", "Russell",
    "Griffin", "Hayes", "Myers", "Ford", "Hamilton", "Graham", "Sullivan", "Wallace", "Cole",
    "West", "Owens", "Reynolds", "Fisher", "Ellis", "Gibson", "Marshall", "Stone", "Snow", "Rich",
    "Lane", "Black", "Hall", "Rice", "Whitaker", "Caldwell",
)

AFRICAN_AMERICAN_MALE = (
    "DeShawn", "Jamal", "Tyrone", "Marcus", "Darnell", "Terrence", "Andre", "Malik", "Jermaine",
    "Reginald", "Cedric", "Dwayne", "Lamar", "Kareem", "Darius", "Xavier", "Isaiah", "Elijah",
    "Curtis", "Willie", "Otis", "Booker", "Clarence", "Maurice", "Roosevelt", "Will", "Mark",
)
AFRICAN_AMERICAN_FEMALE = (
    "Aaliyah", "Keisha", "Latoya", "Imani", "Tamika", "Ebony", "Shanice", "Jasmine", "Aisha",
    "Monique", "Tanisha", "Precious", "Destiny", "Kiara", "Ayana", "Nia", "Zora", "Dorothea", "Mae",
    "Bernice", "Odessa", "Hattie", "Rose", "Hope", "Faith", "Pearl", "Essie",
)
AFRICAN_AMERICAN_SURNAMES = (
    "Washington", "Jefferson", "Jackson", "Banks", "Freeman", "Booker", "Robinson", "Dixon",
    "Mosley", "Gaines", "Jenkins", "Boykin", "Gibbs", "Whitfield", "Crawford", "Wilkins",
    "Holloway", "Battle", "Pettiford", "Brown", "Coleman", "Simmons", "Alexander", "Hairston",
    "Sims", "Tolliver", "Mayfield", "Dorsey", "Witherspoon", "Rucker",
)

HISPANIC_MALE = (
    "José", "Juan", "Luis", "Carlos", "Jorge", "Miguel", "Alejandro", "Javier", "Francisco",
    "Ricardo", "Eduardo", "Fernando", "Manuel", "Rafael", "Sergio", "Andrés", "Diego", "Mateo",
    "Santiago", "Emiliano", "Héctor", "Raúl", "Ramón", "Guillermo", "Joaquín", "Jesús",
)
HISPANIC_FEMALE = (
    "María", "Guadalupe", "Rosa", "Ana", "Carmen", "Sofía", "Valentina", "Lucía", "Camila",
    "Isabel", "Gabriela", "Daniela", "Mariana", "Alejandra", "Paola", "Esperanza", "Luz", "Marisol",
    "Yolanda", "Beatriz", "Dolores", "Ximena", "Renata", "Inés", "Consuelo", "Paloma",
)
HISPANIC_SURNAMES = (
    "García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez",
    "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Reyes", "Morales", "Cruz", "Ortiz",
    "Gutiérrez", "Chávez", "Ramos", "Ruiz", "Mendoza", "Castillo", "Vargas", "Romero", "Herrera",
    "Medina", "Aguilar", "Vega", "Castro", "Delgado", "Fuentes", "Navarro", "Salazar", "Espinoza",
    "Guerrero", "Quintero", "Zamora", "Echevarría", "de la Rosa",
)

CHINESE_MALE = (
    "Wei", "Jun", "Hao", "Lei", "Ming", "Jian", "Tao", "Yong", "Qiang", "Bo", "Zhiwei", "Haoran",
    "Yichen", "Zihan", "Kai", "Guang", "Xin",
)
CHINESE_FEMALE = (
    "Mei", "Xiuying", "Lina", "Fang", "Jing", "Yan", "Hui", "Ling", "Xiaoling", "Yuxin", "Ruoxi",
    "Zhen", "Qing", "Lan", "Hong", "Jia",
)
CHINESE_SURNAMES = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma",
    "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Zheng", "Liang", "Tang", "Deng", "Feng", "Yu",
)

VIETNAMESE_MALE = (
    "Minh", "Huy", "Tuan", "Duc", "Quang", "Thanh", "Khoa", "Long", "Bao", "Phuc", "Hung", "Nam",
)
VIETNAMESE_FEMALE = (
    "Linh", "Lan", "Mai", "Thao", "Trang", "Huong", "Ngoc", "Anh", "Hoa", "Thu", "Phuong", "Hanh",
)
VIETNAMESE_SURNAMES = (
    "Nguyen", "Tran", "Le", "Pham", "Hoang", "Huynh", "Phan", "Vu", "Vo", "Dang", "Bui", "Do", "Ho",
    "Ngo", "Duong", "Ly",
)

KOREAN_MALE = (
    "Min-jun", "Ji-hoon", "Seo-jun", "Hyun-woo", "Sung-min", "Dong-hyun", "Jae-won", "Young-ho",
    "Tae-yang",
)
KOREAN_FEMALE = (
    "Ji-woo", "Seo-yeon", "Min-seo", "Ha-eun", "Soo-jin", "Eun-ji", "Hye-jin", "Yuna", "Da-eun",
)
KOREAN_SURNAMES = (
    "Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Shin",
    "Seo", "Kwon", "Hwang",
)

SOUTH_ASIAN_MALE = (
    "Rahul", "Amit", "Arjun", "Vikram", "Sanjay", "Rajesh", "Anil", "Suresh", "Aarav", "Rohan",
    "Karan", "Deepak", "Nikhil", "Pranav", "Imran", "Farhan",
)
SOUTH_ASIAN_FEMALE = (
    "Priya", "Ananya", "Deepa", "Sunita", "Kavya", "Neha", "Pooja", "Lakshmi", "Meera", "Divya",
    "Shreya", "Anjali", "Radha", "Sita", "Nusrat",
)
SOUTH_ASIAN_SURNAMES = (
    "Patel", "Sharma", "Singh", "Kumar", "Gupta", "Shah", "Reddy", "Rao", "Iyer", "Nair", "Desai",
    "Mehta", "Chopra", "Joshi", "Bose", "Banerjee", "Chaudhary", "Pillai", "Kapoor", "Malhotra",
    "Rahman",
)

ARABIC_MALE = (
    "Mohammed", "Ahmed", "Omar", "Ali", "Youssef", "Khaled", "Hassan", "Ibrahim", "Tariq", "Karim",
    "Samir", "Nabil", "Rami", "Walid", "Faisal",
)
ARABIC_FEMALE = (
    "Fatima", "Aisha", "Layla", "Mariam", "Noor", "Yasmin", "Huda", "Rania", "Salma", "Zainab",
    "Amira", "Dalia", "Hana", "Leila", "Samira",
)
ARABIC_SURNAMES = (
    "Haddad", "Khalil", "Mansour", "Nasser", "Saleh", "Hamdan", "Aziz", "Farouk", "Abboud",
    "Darwish", "Karam", "Sabbagh", "Shami", "Toma", "Yousef", "Al-Sayed", "El-Amin", "Bishara",
)

NIGERIAN_MALE = (
    "Chinedu", "Emeka", "Oluwaseun", "Tunde", "Ikenna", "Obinna", "Adebayo", "Chukwuemeka", "Femi",
    "Kelechi", "Babajide", "Nnamdi",
)
NIGERIAN_FEMALE = (
    "Ngozi", "Chiamaka", "Funmilayo", "Adaeze", "Folake", "Yetunde", "Chioma", "Nneka", "Amaka",
    "Temitope", "Ifeoma", "Blessing",
)
NIGERIAN_SURNAMES = (
    "Okafor", "Adeyemi", "Okonkwo", "Eze", "Nwosu", "Balogun", "Obi", "Okoro", "Olawale",
    "Nwachukwu", "Ogunleye", "Uzoma", "Afolabi", "Chukwu", "Oyelaran",
)

EAST_AFRICAN_MALE = (
    "Abdi", "Mohamed", "Abdirahman", "Yusuf", "Mahad", "Liban", "Dawit", "Tesfaye", "Bereket",
    "Abdullahi",
)
EAST_AFRICAN_FEMALE = (
    "Hodan", "Ayaan", "Faadumo", "Hibaaq", "Sahra", "Ubah", "Amina", "Meron", "Selam", "Tigist",
)
EAST_AFRICAN_SURNAMES = (
    "Warsame", "Farah", "Hussein", "Osman", "Jama", "Gedi", "Haile", "Bekele", "Girma", "Tadesse",
    "Abdi", "Nur",
)

HAITIAN_MALE = (
    "Jean", "Pierre", "Jacques", "Wilner", "Fritz", "Ronel", "Frantz", "Ludovic", "Claude",
    "Emmanuel",
)
HAITIAN_FEMALE = (
    "Marie", "Nadège", "Roseline", "Guerda", "Micheline", "Fabienne", "Myrlande", "Widline",
    "Claudette", "Mireille",
)
HAITIAN_SURNAMES = (
    "Jean-Baptiste", "Pierre-Louis", "Joseph", "Désir", "Toussaint", "Célestin", "Dorval",
    "Étienne", "Fils-Aimé", "Augustin", "Belizaire", "Noël",
)

EASTERN_EUROPEAN_MALE = (
    "Dmitri", "Sergei", "Alexei", "Ivan", "Mikhail", "Nikolai", "Andrei", "Pavel", "Yuri", "Oleg",
    "Viktor", "Piotr", "Tomasz", "Jakub", "Aleksandr",
)
EASTERN_EUROPEAN_FEMALE = (
    "Olga", "Natalia", "Svetlana", "Irina", "Tatiana", "Ekaterina", "Anastasia", "Yelena",
    "Agnieszka", "Katarzyna", "Magdalena", "Zofia",
)
EASTERN_EUROPEAN_SURNAMES = (
    "Ivanov|Ivanova", "Petrov|Petrova", "Smirnov|Smirnova", "Volkov|Volkova",
    "Kuznetsov|Kuznetsova", "Sokolov|Sokolova", "Kowalski|Kowalska", "Nowak",
    "Wiśniewski|Wiśniewska", "Shevchenko", "Bondarenko", "Kovalenko", "Zieliński|Zielińska",
)

FILIPINO_MALE = (
    "Rodrigo", "Jericho", "Paolo", "Ramil", "Rey", "Arnel", "Danilo", "Efren", "Romeo", "Mark",
)
FILIPINO_FEMALE = (
    "Maricel", "Rowena", "Jocelyn", "Lorna", "Marites", "Cristina", "Analyn", "Rhea", "Joy",
    "Precious",
)
FILIPINO_SURNAMES = (
    "Santos", "Bautista", "Ocampo", "Dela Cruz", "Villanueva", "Aquino", "Manalo", "Soriano",
    "Pascual", "Mercado", "Tolentino", "Macaraeg",
)

JAPANESE_MALE = ("Hiroshi", "Takeshi", "Kenji", "Haruto", "Yuto", "Satoshi", "Daiki", "Kazuo")
JAPANESE_FEMALE = ("Yuki", "Aiko", "Sakura", "Haruka", "Emi", "Keiko", "Naomi", "Yumiko")
JAPANESE_SURNAMES = (
    "Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi",
    "Kato", "Yoshida", "Yamada",
)

NATIVE_AMERICAN_SURNAMES = (
    "Begay", "Yazzie", "Tsosie", "Benally", "Nez", "Etsitty", "Redhouse", "Whitehorse", "Harjo",
    "Deschenie", "Attakai", "Bitsui", "Manuelito", "Runningwater",
)

PACIFIC_MALE = ("Keoni", "Kainoa", "Makoa", "Sione", "Tevita", "Malakai", "Ikaika")
PACIFIC_FEMALE = ("Leilani", "Malia", "Noelani", "Kalani", "Mele", "Losa", "Pua")
PACIFIC_SURNAMES = (
    "Kealoha", "Kahale", "Akana", "Kamakana", "Fonoti", "Tuiasosopo", "Faleolo", "Taufa", "Vaifale",
    "Mahoe",
)

WESTERN_EUROPEAN_MALE = (
    "Sean", "Liam", "Declan", "Giuseppe", "Marco", "Luca", "Antonio", "Hans", "Klaus", "Friedrich",
    "Lars", "Sven", "Cormac",
)
WESTERN_EUROPEAN_FEMALE = (
    "Siobhan", "Aoife", "Bridget", "Giulia", "Francesca", "Chiara", "Greta", "Ingrid", "Heidi",
    "Astrid", "Maeve",
)
WESTERN_EUROPEAN_SURNAMES = (
    "O'Brien", "O'Connor", "Gallagher", "Rossi", "Esposito", "Romano", "Bianchi", "Ricci",
    "Colombo", "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Larsen",
    "Johansson", "Nielsen", "McCarthy",
)
# fmt: on


def surname_for(entry: str, sex: Sex) -> str:
    """Resolve a ``"male|female"`` surname entry for ``sex``."""
    male, _, female = entry.partition("|")
    return female if sex == "female" and female else male


@dataclass
class NameBook:
    """Hands out full names that are unique within one cohort.

    Surnames not yet used are preferred, so a cohort of hundreds shows little repetition.
    One ``NameBook`` lives per cohort (never at module level).
    """

    used_full_names: set[str] = field(default_factory=set)
    used_surnames: set[str] = field(default_factory=set)

    def surname(self, rng: random.Random, entries: tuple[str, ...], sex: Sex) -> str:
        for _ in range(6):
            candidate = surname_for(rng.choice(entries), sex)
            if candidate not in self.used_surnames:
                return candidate
        return surname_for(rng.choice(entries), sex)

    def claim(self, given: str, family: str) -> bool:
        """Reserve ``given family``; False if the cohort already has that person."""
        full = f"{given} {family}"
        if full in self.used_full_names:
            return False
        self.used_full_names.add(full)
        self.used_surnames.add(family)
        return True
