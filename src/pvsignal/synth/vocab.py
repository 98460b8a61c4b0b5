"""Vocabularies of the synthetic FAERS generator: ingredients, PTs, countries, companies.

Real ingredient, brand and MedDRA PT names so the data read like FAERS; the order of
each list is its popularity rank (rank 1 first), which the Zipf–Mandelbrot weights in
:mod:`pvsignal.synth.draw` use. Nothing here is knowledge for analyses: it only shapes
synthetic text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# INGREDIENT | BRAND | SALT | STRENGTH FORM | INDICATION (FAERS mixed-case PT)
_INGREDIENTS = """
ADALIMUMAB|HUMIRA||40MG/0.4ML INJECTION|Rheumatoid arthritis
ETANERCEPT|ENBREL||50MG/ML INJECTION|Rheumatoid arthritis
LENALIDOMIDE|REVLIMID||25MG CAPSULE|Plasma cell myeloma
DUPILUMAB|DUPIXENT||300MG/2ML INJECTION|Dermatitis atopic
TOFACITINIB|XELJANZ|CITRATE|5MG TABLET|Rheumatoid arthritis
PREDNISONE|DELTASONE||5MG TABLET|Product used for unknown indication
METHOTREXATE|TREXALL|SODIUM|2.5MG TABLET|Rheumatoid arthritis
ACETYLSALICYLIC ACID|ASPIRIN||81MG TABLET|Prophylaxis
DULAGLUTIDE|TRULICITY||1.5MG/0.5ML INJECTION|Type 2 diabetes mellitus
APREMILAST|OTEZLA||30MG TABLET|Psoriasis
SEMAGLUTIDE|OZEMPIC||1MG/0.75ML INJECTION|Type 2 diabetes mellitus
INFLIXIMAB|REMICADE||100MG INJECTION|Crohn's disease
PEMBROLIZUMAB|KEYTRUDA||100MG/4ML INJECTION|Non-small cell lung cancer
NIVOLUMAB|OPDIVO||40MG/4ML INJECTION|Malignant melanoma
OMEPRAZOLE|PRILOSEC||20MG CAPSULE|Gastrooesophageal reflux disease
ATORVASTATIN|LIPITOR|CALCIUM|20MG TABLET|Hypercholesterolaemia
METFORMIN|GLUCOPHAGE|HYDROCHLORIDE|500MG TABLET|Type 2 diabetes mellitus
APIXABAN|ELIQUIS||5MG TABLET|Atrial fibrillation
RIVAROXABAN|XARELTO||20MG TABLET|Atrial fibrillation
PARACETAMOL|TYLENOL||500MG TABLET|Pain
IBUPROFEN|ADVIL||200MG TABLET|Pain
LEVOTHYROXINE|SYNTHROID|SODIUM|50UG TABLET|Hypothyroidism
AMLODIPINE|NORVASC|BESYLATE|5MG TABLET|Hypertension
LISINOPRIL|ZESTRIL||10MG TABLET|Hypertension
FUROSEMIDE|LASIX||40MG TABLET|Oedema
RITUXIMAB|RITUXAN||500MG/50ML INJECTION|Non-Hodgkin's lymphoma
USTEKINUMAB|STELARA||45MG/0.5ML INJECTION|Psoriasis
SECUKINUMAB|COSENTYX||150MG/ML INJECTION|Psoriasis
GABAPENTIN|NEURONTIN||300MG CAPSULE|Neuralgia
PREGABALIN|LYRICA||75MG CAPSULE|Neuralgia
TACROLIMUS|PROGRAF||1MG CAPSULE|Renal transplant
MYCOPHENOLATE MOFETIL|CELLCEPT||500MG TABLET|Lupus nephritis
HYDROXYCHLOROQUINE|PLAQUENIL|SULFATE|200MG TABLET|Systemic lupus erythematosus
DEXAMETHASONE|DECADRON||4MG TABLET|Product used for unknown indication
INSULIN GLARGINE|LANTUS||100U/ML INJECTION|Diabetes mellitus
SIMVASTATIN|ZOCOR||20MG TABLET|Hypercholesterolaemia
WARFARIN|COUMADIN|SODIUM|5MG TABLET|Atrial fibrillation
CLOPIDOGREL|PLAVIX|BISULFATE|75MG TABLET|Coronary artery disease
MONTELUKAST|SINGULAIR|SODIUM|10MG TABLET|Asthma
SERTRALINE|ZOLOFT|HYDROCHLORIDE|50MG TABLET|Depression
ESCITALOPRAM|LEXAPRO|OXALATE|10MG TABLET|Depression
QUETIAPINE|SEROQUEL|FUMARATE|100MG TABLET|Schizophrenia
ARIPIPRAZOLE|ABILIFY||10MG TABLET|Schizophrenia
RISPERIDONE|RISPERDAL||2MG TABLET|Schizophrenia
OLANZAPINE|ZYPREXA||10MG TABLET|Schizophrenia
CLOZAPINE|CLOZARIL||100MG TABLET|Schizophrenia
LAMOTRIGINE|LAMICTAL||100MG TABLET|Epilepsy
LEVETIRACETAM|KEPPRA||500MG TABLET|Epilepsy
VALPROIC ACID|DEPAKOTE||500MG TABLET|Epilepsy
CARBAMAZEPINE|TEGRETOL||200MG TABLET|Epilepsy
PALIPERIDONE|INVEGA SUSTENNA|PALMITATE|156MG INJECTION|Schizophrenia
BEVACIZUMAB|AVASTIN||400MG/16ML INJECTION|Colorectal cancer
TRASTUZUMAB|HERCEPTIN||440MG INJECTION|Breast cancer
CAPECITABINE|XELODA||500MG TABLET|Breast cancer
PACLITAXEL|TAXOL||300MG/50ML INJECTION|Breast cancer
CARBOPLATIN|PARAPLATIN||450MG/45ML INJECTION|Ovarian cancer
CISPLATIN|PLATINOL||50MG/50ML INJECTION|Lung neoplasm malignant
CYCLOPHOSPHAMIDE|CYTOXAN||500MG INJECTION|Breast cancer
DOXORUBICIN|ADRIAMYCIN|HYDROCHLORIDE|50MG INJECTION|Breast cancer
IBRUTINIB|IMBRUVICA||140MG CAPSULE|Chronic lymphocytic leukaemia
POMALIDOMIDE|POMALYST||4MG CAPSULE|Plasma cell myeloma
BORTEZOMIB|VELCADE||3.5MG INJECTION|Plasma cell myeloma
DARATUMUMAB|DARZALEX||400MG/20ML INJECTION|Plasma cell myeloma
PALBOCICLIB|IBRANCE||125MG CAPSULE|Breast cancer
OSIMERTINIB|TAGRISSO|MESYLATE|80MG TABLET|Non-small cell lung cancer
RUXOLITINIB|JAKAFI|PHOSPHATE|20MG TABLET|Myelofibrosis
IMATINIB|GLEEVEC|MESYLATE|400MG TABLET|Chronic myeloid leukaemia
CLARITHROMYCIN|BIAXIN||500MG TABLET|Pneumonia
AMOXICILLIN|AMOXIL||500MG CAPSULE|Infection
CIPROFLOXACIN|CIPRO|HYDROCHLORIDE|500MG TABLET|Urinary tract infection
LEVOFLOXACIN|LEVAQUIN||500MG TABLET|Pneumonia
AZITHROMYCIN|ZITHROMAX||250MG TABLET|Infection
DOXYCYCLINE|VIBRAMYCIN|HYCLATE|100MG CAPSULE|Infection
SULFAMETHOXAZOLE\\TRIMETHOPRIM|BACTRIM||800MG/160MG TABLET|Urinary tract infection
VANCOMYCIN|VANCOCIN|HYDROCHLORIDE|1G INJECTION|Infection
CEFTRIAXONE|ROCEPHIN|SODIUM|1G INJECTION|Pneumonia
ONDANSETRON|ZOFRAN|HYDROCHLORIDE|8MG TABLET|Nausea
PANTOPRAZOLE|PROTONIX|SODIUM|40MG TABLET|Gastrooesophageal reflux disease
ESOMEPRAZOLE|NEXIUM|MAGNESIUM|40MG CAPSULE|Gastrooesophageal reflux disease
LANSOPRAZOLE|PREVACID||30MG CAPSULE|Gastrooesophageal reflux disease
OXYCODONE|OXYCONTIN|HYDROCHLORIDE|10MG TABLET|Pain
MORPHINE|MS CONTIN|SULFATE|15MG TABLET|Pain
TRAMADOL|ULTRAM|HYDROCHLORIDE|50MG TABLET|Pain
FENTANYL|DURAGESIC||25UG/HR PATCH|Pain
HYDROCODONE\\PARACETAMOL|NORCO|BITARTRATE|5MG/325MG TABLET|Pain
DULOXETINE|CYMBALTA|HYDROCHLORIDE|60MG CAPSULE|Depression
VENLAFAXINE|EFFEXOR|HYDROCHLORIDE|75MG CAPSULE|Depression
BUPROPION|WELLBUTRIN|HYDROCHLORIDE|150MG TABLET|Depression
FLUOXETINE|PROZAC|HYDROCHLORIDE|20MG CAPSULE|Depression
CITALOPRAM|CELEXA|HYDROBROMIDE|20MG TABLET|Depression
ALPRAZOLAM|XANAX||0.5MG TABLET|Anxiety
CLONAZEPAM|KLONOPIN||0.5MG TABLET|Anxiety
LORAZEPAM|ATIVAN||1MG TABLET|Anxiety
ZOLPIDEM|AMBIEN|TARTRATE|10MG TABLET|Insomnia
METOPROLOL|LOPRESSOR|TARTRATE|50MG TABLET|Hypertension
CARVEDILOL|COREG||25MG TABLET|Cardiac failure
LOSARTAN|COZAAR|POTASSIUM|50MG TABLET|Hypertension
VALSARTAN|DIOVAN||160MG TABLET|Hypertension
HYDROCHLOROTHIAZIDE|MICROZIDE||25MG TABLET|Hypertension
SPIRONOLACTONE|ALDACTONE||25MG TABLET|Cardiac failure
DILTIAZEM|CARDIZEM|HYDROCHLORIDE|120MG CAPSULE|Atrial fibrillation
VERAPAMIL|CALAN|HYDROCHLORIDE|120MG TABLET|Hypertension
DIGOXIN|LANOXIN||0.125MG TABLET|Atrial fibrillation
AMIODARONE|CORDARONE|HYDROCHLORIDE|200MG TABLET|Atrial fibrillation
ROSUVASTATIN|CRESTOR|CALCIUM|10MG TABLET|Hypercholesterolaemia
EZETIMIBE|ZETIA||10MG TABLET|Hypercholesterolaemia
SITAGLIPTIN|JANUVIA|PHOSPHATE|100MG TABLET|Type 2 diabetes mellitus
EMPAGLIFLOZIN|JARDIANCE||10MG TABLET|Type 2 diabetes mellitus
DAPAGLIFLOZIN|FARXIGA|PROPANEDIOL|10MG TABLET|Type 2 diabetes mellitus
LIRAGLUTIDE|VICTOZA||18MG/3ML INJECTION|Type 2 diabetes mellitus
INSULIN LISPRO|HUMALOG||100U/ML INJECTION|Diabetes mellitus
TIRZEPATIDE|MOUNJARO||5MG/0.5ML INJECTION|Type 2 diabetes mellitus
DENOSUMAB|PROLIA||60MG/ML INJECTION|Osteoporosis
ALENDRONIC ACID|FOSAMAX|SODIUM|70MG TABLET|Osteoporosis
TERIPARATIDE|FORTEO||20UG INJECTION|Osteoporosis
ZOLEDRONIC ACID|RECLAST||5MG/100ML INJECTION|Osteoporosis
CERTOLIZUMAB PEGOL|CIMZIA||200MG/ML INJECTION|Crohn's disease
GOLIMUMAB|SIMPONI||50MG/0.5ML INJECTION|Rheumatoid arthritis
ABATACEPT|ORENCIA||125MG/ML INJECTION|Rheumatoid arthritis
TOCILIZUMAB|ACTEMRA||162MG/0.9ML INJECTION|Rheumatoid arthritis
UPADACITINIB|RINVOQ||15MG TABLET|Rheumatoid arthritis
BARICITINIB|OLUMIANT||2MG TABLET|Rheumatoid arthritis
VEDOLIZUMAB|ENTYVIO||300MG INJECTION|Colitis ulcerative
RISANKIZUMAB|SKYRIZI||150MG/ML INJECTION|Psoriasis
GUSELKUMAB|TREMFYA||100MG/ML INJECTION|Psoriasis
IXEKIZUMAB|TALTZ||80MG/ML INJECTION|Psoriasis
OMALIZUMAB|XOLAIR||150MG INJECTION|Asthma
MEPOLIZUMAB|NUCALA||100MG INJECTION|Asthma
FLUTICASONE\\SALMETEROL|ADVAIR|PROPIONATE|250UG/50UG INHALER|Asthma
BUDESONIDE\\FORMOTEROL|SYMBICORT|FUMARATE|160UG/4.5UG INHALER|Chronic obstructive pulmonary disease
TIOTROPIUM|SPIRIVA|BROMIDE|18UG CAPSULE|Chronic obstructive pulmonary disease
SALBUTAMOL|VENTOLIN|SULFATE|100UG INHALER|Asthma
INTERFERON BETA-1A|AVONEX||30UG INJECTION|Multiple sclerosis
GLATIRAMER|COPAXONE|ACETATE|20MG/ML INJECTION|Multiple sclerosis
DIMETHYL FUMARATE|TECFIDERA||240MG CAPSULE|Multiple sclerosis
FINGOLIMOD|GILENYA|HYDROCHLORIDE|0.5MG CAPSULE|Multiple sclerosis
NATALIZUMAB|TYSABRI||300MG/15ML INJECTION|Multiple sclerosis
OCRELIZUMAB|OCREVUS||300MG/10ML INJECTION|Multiple sclerosis
TERIFLUNOMIDE|AUBAGIO||14MG TABLET|Multiple sclerosis
SACUBITRIL\\VALSARTAN|ENTRESTO||97MG/103MG TABLET|Cardiac failure
TICAGRELOR|BRILINTA||90MG TABLET|Acute coronary syndrome
DABIGATRAN ETEXILATE|PRADAXA|MESYLATE|150MG CAPSULE|Atrial fibrillation
ENOXAPARIN|LOVENOX|SODIUM|40MG/0.4ML INJECTION|Thrombosis prophylaxis
HEPARIN|HEPARIN SODIUM|SODIUM|5000U/ML INJECTION|Thrombosis prophylaxis
EPOETIN ALFA|EPOGEN||10000U/ML INJECTION|Anaemia
PEGFILGRASTIM|NEULASTA||6MG/0.6ML INJECTION|Neutropenia
FILGRASTIM|NEUPOGEN||300UG/ML INJECTION|Neutropenia
CYCLOSPORINE|NEORAL||100MG CAPSULE|Renal transplant
SIROLIMUS|RAPAMUNE||1MG TABLET|Renal transplant
EVEROLIMUS|AFINITOR||10MG TABLET|Breast cancer
AZATHIOPRINE|IMURAN||50MG TABLET|Systemic lupus erythematosus
BELIMUMAB|BENLYSTA||200MG/ML INJECTION|Systemic lupus erythematosus
ANIFROLUMAB|SAPHNELO||300MG/2ML INJECTION|Systemic lupus erythematosus
METHYLPREDNISOLONE|MEDROL|SODIUM SUCCINATE|4MG TABLET|Lupus nephritis
PREDNISOLONE|ORAPRED|SODIUM PHOSPHATE|5MG TABLET|Product used for unknown indication
HYDROCORTISONE|CORTEF||10MG TABLET|Adrenal insufficiency
ITRACONAZOLE|SPORANOX||100MG CAPSULE|Fungal infection
FLUCONAZOLE|DIFLUCAN||150MG TABLET|Fungal infection
VORICONAZOLE|VFEND||200MG TABLET|Fungal infection
POSACONAZOLE|NOXAFIL||100MG TABLET|Fungal infection
VALACICLOVIR|VALTREX|HYDROCHLORIDE|1G TABLET|Herpes zoster
ACICLOVIR|ZOVIRAX||400MG TABLET|Herpes simplex
OSELTAMIVIR|TAMIFLU|PHOSPHATE|75MG CAPSULE|Influenza
EMTRICITABINE\\TENOFOVIR DISOPROXIL|TRUVADA|FUMARATE|200MG/300MG TABLET|HIV infection
BICTEGRAVIR\\EMTRICITABINE\\TENOFOVIR ALAFENAMIDE|BIKTARVY||50MG/200MG/25MG TABLET|HIV infection
DOLUTEGRAVIR|TIVICAY|SODIUM|50MG TABLET|HIV infection
RITONAVIR|NORVIR||100MG TABLET|HIV infection
SOFOSBUVIR\\VELPATASVIR|EPCLUSA||400MG/100MG TABLET|Chronic hepatitis C
KETOCONAZOLE|NIZORAL||200MG TABLET|Fungal infection
RIFAMPIN|RIFADIN||300MG CAPSULE|Tuberculosis
ISONIAZID|NYDRAZID||300MG TABLET|Tuberculosis
PHENYTOIN|DILANTIN|SODIUM|100MG CAPSULE|Epilepsy
TOPIRAMATE|TOPAMAX||50MG TABLET|Migraine
SUMATRIPTAN|IMITREX|SUCCINATE|50MG TABLET|Migraine
ERENUMAB|AIMOVIG||70MG/ML INJECTION|Migraine
BOTULINUM TOXIN TYPE A|BOTOX||100U INJECTION|Migraine
DONEPEZIL|ARICEPT|HYDROCHLORIDE|10MG TABLET|Dementia Alzheimer's type
MEMANTINE|NAMENDA|HYDROCHLORIDE|10MG TABLET|Dementia Alzheimer's type
LEVODOPA\\CARBIDOPA|SINEMET||100MG/25MG TABLET|Parkinson's disease
PRAMIPEXOLE|MIRAPEX|DIHYDROCHLORIDE|0.25MG TABLET|Parkinson's disease
METHYLPHENIDATE|RITALIN|HYDROCHLORIDE|10MG TABLET|Attention deficit hyperactivity disorder
LISDEXAMFETAMINE|VYVANSE|DIMESYLATE|30MG CAPSULE|Attention deficit hyperactivity disorder
VARENICLINE|CHANTIX|TARTRATE|1MG TABLET|Smoking cessation therapy
NALTREXONE|VIVITROL|HYDROCHLORIDE|380MG INJECTION|Alcoholism
BUPRENORPHINE\\NALOXONE|SUBOXONE|HYDROCHLORIDE|8MG/2MG FILM|Drug dependence
ESTRADIOL|ESTRACE||1MG TABLET|Menopausal symptoms
LEVONORGESTREL|MIRENA||52MG INTRAUTERINE DEVICE|Contraception
DROSPIRENONE\\ETHINYLESTRADIOL|YAZ||3MG/0.02MG TABLET|Contraception
TAMOXIFEN|NOLVADEX|CITRATE|20MG TABLET|Breast cancer
LETROZOLE|FEMARA||2.5MG TABLET|Breast cancer
ANASTROZOLE|ARIMIDEX||1MG TABLET|Breast cancer
ABIRATERONE|ZYTIGA|ACETATE|250MG TABLET|Prostate cancer
ENZALUTAMIDE|XTANDI||40MG CAPSULE|Prostate cancer
LEUPROLIDE|LUPRON DEPOT|ACETATE|22.5MG INJECTION|Prostate cancer
TAMSULOSIN|FLOMAX|HYDROCHLORIDE|0.4MG CAPSULE|Benign prostatic hyperplasia
FINASTERIDE|PROSCAR||5MG TABLET|Benign prostatic hyperplasia
SILDENAFIL|VIAGRA|CITRATE|50MG TABLET|Erectile dysfunction
TADALAFIL|CIALIS||5MG TABLET|Erectile dysfunction
ALLOPURINOL|ZYLOPRIM||300MG TABLET|Gout
COLCHICINE|COLCRYS||0.6MG TABLET|Gout
FEBUXOSTAT|ULORIC||40MG TABLET|Gout
CETIRIZINE|ZYRTEC|HYDROCHLORIDE|10MG TABLET|Rhinitis allergic
LORATADINE|CLARITIN||10MG TABLET|Rhinitis allergic
DIPHENHYDRAMINE|BENADRYL|HYDROCHLORIDE|25MG CAPSULE|Insomnia
CHOLECALCIFEROL|VITAMIN D3||1000U CAPSULE|Vitamin D deficiency
CALCIUM CARBONATE|TUMS||500MG TABLET|Prophylaxis
FOLIC ACID|FOLVITE||1MG TABLET|Prophylaxis
POTASSIUM CHLORIDE|K-DUR||20MEQ TABLET|Hypokalaemia
MAGNESIUM OXIDE|MAG-OX||400MG TABLET|Hypomagnesaemia
FERROUS SULFATE|FEOSOL||325MG TABLET|Iron deficiency anaemia
CYANOCOBALAMIN|VITAMIN B12||1000UG TABLET|Vitamin B12 deficiency
NAPROXEN|ALEVE|SODIUM|220MG TABLET|Pain
CELECOXIB|CELEBREX||200MG CAPSULE|Osteoarthritis
DICLOFENAC|VOLTAREN|SODIUM|75MG TABLET|Osteoarthritis
MELOXICAM|MOBIC||15MG TABLET|Osteoarthritis
CYCLOBENZAPRINE|FLEXERIL|HYDROCHLORIDE|10MG TABLET|Muscle spasms
BACLOFEN|LIORESAL||10MG TABLET|Muscle spasticity
TERBINAFINE|LAMISIL|HYDROCHLORIDE|250MG TABLET|Onychomycosis
ISOTRETINOIN|ACCUTANE||40MG CAPSULE|Acne
ADAPALENE|DIFFERIN||0.1% GEL|Acne
LATANOPROST|XALATAN||0.005% EYE DROPS|Glaucoma
AFLIBERCEPT|EYLEA||2MG/0.05ML INJECTION|Neovascular age-related macular degeneration
RANIBIZUMAB|LUCENTIS||0.5MG INJECTION|Neovascular age-related macular degeneration
ALIROCUMAB|PRALUENT||75MG/ML INJECTION|Hypercholesterolaemia
EVOLOCUMAB|REPATHA||140MG/ML INJECTION|Hypercholesterolaemia
ECULIZUMAB|SOLIRIS||300MG/30ML INJECTION|Paroxysmal nocturnal haemoglobinuria
IMMUNOGLOBULIN HUMAN NORMAL|GAMMAGARD||10G/100ML INJECTION|Immunodeficiency common variable
ALBUTEROL\\IPRATROPIUM|COMBIVENT|BROMIDE|100UG/20UG INHALER|Chronic obstructive pulmonary disease
NIRMATRELVIR\\RITONAVIR|PAXLOVID||150MG/100MG TABLET|COVID-19
TOZINAMERAN|COMIRNATY||30UG/0.3ML INJECTION|COVID-19 immunisation
BELATACEPT|NULOJIX||250MG INJECTION|Renal transplant
BASILIXIMAB|SIMULECT||20MG INJECTION|Renal transplant
VOCLOSPORIN|LUPKYNIS||7.9MG CAPSULE|Lupus nephritis
"""

# MedDRA preferred terms (British English, FAERS mixed case), most reported first.
_PTS = """
Drug ineffective|Off label use|Fatigue|Nausea|Death|Headache|Diarrhoea|Pain|Dyspnoea
Product use in unapproved indication|Dizziness|Vomiting|Arthralgia|Pyrexia|Rash|Malaise
Pruritus|Asthenia|Condition aggravated|Pneumonia|Fall|Weight decreased|Cough|Hypertension
Insomnia|Anxiety|Abdominal pain|Pain in extremity|Back pain|Injection site pain|Depression
Drug hypersensitivity|Decreased appetite|Constipation|Oedema peripheral|Urinary tract infection
Hypotension|Alopecia|Chest pain|Weight increased|Infection|Muscle spasms|Somnolence
Confusional state|Anaemia|Dehydration|Myalgia|Gait disturbance|Tremor|Paraesthesia
Hospitalisation|Abdominal pain upper|Nasopharyngitis|Sinusitis|Feeling abnormal|Influenza
Dyspepsia|Memory impairment|Hypoaesthesia|Erythema|Acute kidney injury|Syncope
Blood glucose increased|Peripheral swelling|Thrombocytopenia|Vision blurred|Neutropenia
Atrial fibrillation|Cerebrovascular accident|Myocardial infarction|Urticaria|Renal failure
Sepsis|Chills|Hyperhidrosis|Palpitations|Abdominal distension|Contusion|Blood pressure increased
Disease progression|Intentional product misuse|Arthritis|Psoriasis|Dry mouth|Cellulitis
Seizure|Loss of consciousness|Muscular weakness|Haemoglobin decreased|Dysgeusia|Stomatitis
Bronchitis|Skin lesion|Herpes zoster|Hypersensitivity|Deep vein thrombosis|Pulmonary embolism
Tachycardia|Cardiac failure|Gastrooesophageal reflux disease|Joint swelling|Flushing
Dry skin|Nephrolithiasis|Hyponatraemia|Hypokalaemia|Glomerular filtration rate decreased
Blood creatinine increased|Proteinuria|Mouth ulceration|Upper respiratory tract infection
Oropharyngeal pain|Rhinorrhoea|Nasal congestion|Sneezing|Eye pain|Visual impairment
Tinnitus|Vertigo|Ear pain|Migraine|Dysphagia|Haematochezia|Gastrointestinal haemorrhage
Melaena|Rectal haemorrhage|Haematuria|Dysuria|Pollakiuria|Urinary incontinence
Erectile dysfunction|Menstrual disorder|Vaginal haemorrhage|Breast pain|Hot flush
Night sweats|Lethargy|Irritability|Agitation|Hallucination|Suicidal ideation
Completed suicide|Overdose|Intentional overdose|Toxicity to various agents|Drug interaction
Drug level increased|Drug level decreased|Therapeutic product effect incomplete
Product dose omission issue|Incorrect dose administered|Medication error|Wrong technique in product usage process
Injection site erythema|Injection site swelling|Injection site reaction|Infusion related reaction
Neuropathy peripheral|Burning sensation|Restless legs syndrome|Dyskinesia|Ataxia|Dysarthria
Aphasia|Cognitive disorder|Amnesia|Disorientation|Delirium|Encephalopathy
Posterior reversible encephalopathy syndrome|Transient ischaemic attack|Cerebral haemorrhage
Bradycardia|Arrhythmia|Electrocardiogram QT prolonged|Cardiac arrest|Angina pectoris
Coronary artery disease|Hypertensive crisis|Orthostatic hypotension|Peripheral coldness
Raynaud's phenomenon|Vasculitis|Haematoma|Epistaxis|Haemoptysis|Pleural effusion
Pulmonary oedema|Interstitial lung disease|Respiratory failure|Asthma|Wheezing|Hypoxia
Chronic obstructive pulmonary disease|Lung neoplasm malignant|Breast cancer|Basal cell carcinoma
Squamous cell carcinoma of skin|Malignant melanoma|Lymphoma|Leukaemia|Plasma cell myeloma
Neoplasm malignant|Metastases to liver|Hepatic enzyme increased|Alanine aminotransferase increased
Aspartate aminotransferase increased|Liver function test abnormal|Hepatotoxicity|Jaundice
Hepatic failure|Cholelithiasis|Pancreatitis|Colitis|Crohn's disease|Colitis ulcerative
Gastritis|Gastroenteritis|Appendicitis|Diverticulitis|Intestinal obstruction|Ileus
Flatulence|Eructation|Abdominal discomfort|Faeces discoloured|Haemorrhoids|Hyperglycaemia
Hypoglycaemia|Diabetes mellitus|Diabetic ketoacidosis|Hypothyroidism|Hyperthyroidism
Hypercalcaemia|Hyperkalaemia|Hypomagnesaemia|Hyperuricaemia|Gout|Osteoporosis|Osteonecrosis of jaw
Fracture|Hip fracture|Femur fracture|Spinal fracture|Bone pain|Musculoskeletal stiffness
Joint stiffness|Neck pain|Tendonitis|Rhabdomyolysis|Blood creatine phosphokinase increased
Lupus nephritis|Systemic lupus erythematosus|Rheumatoid arthritis|Nephrotic syndrome
Renal impairment|Chronic kidney disease|Kidney transplant rejection|Cytomegalovirus infection
BK virus infection|COVID-19|Fungal infection|Oral candidiasis|Herpes simplex|Tuberculosis
Septic shock|Bacteraemia|Cystitis|Pyelonephritis|Respiratory tract infection|Lower respiratory tract infection
Ear infection|Conjunctivitis|Dry eye|Cataract|Glaucoma|Macular degeneration|Retinal detachment
Blindness|Photosensitivity reaction|Skin exfoliation|Blister|Dermatitis|Eczema|Acne
Hyperkeratosis|Skin discolouration|Nail disorder|Stevens-Johnson syndrome|Toxic epidermal necrolysis
Drug reaction with eosinophilia and systemic symptoms|Anaphylactic reaction|Angioedema|Swelling face
Lip swelling|Throat tightness|Leukopenia|Lymphopenia|Pancytopenia|Febrile neutropenia
Platelet count decreased|White blood cell count decreased|Neutrophil count decreased
International normalised ratio increased|Haemorrhage|Coagulopathy|Thrombosis|Embolism
Weight fluctuation|Increased appetite|Abnormal weight gain|Emotional distress|Mood swings
Panic attack|Nervousness|Stress|Feeling jittery|Crying|Libido decreased|Sleep disorder
Abnormal dreams|Nightmare|Breath odour|Hiccups|Yawning|Thirst|Polydipsia|Polyuria
Gingival hypertrophy|Gingival bleeding|Toothache|Tooth loss|Hirsutism|Hypertrichosis
Muscle twitching|Clumsiness|Balance disorder|Fine motor skill dysfunction|Sensory disturbance
"""

_INDICATIONS_EXTRA = ("Product used for unknown indication",)


@dataclass(frozen=True)
class Ingredient:
    """One ingredient of the synthetic vocabulary (upper case, as FAERS prod_ai)."""

    name: str
    brand: str
    salt: str
    strength_form: str
    indication: str


def _parse_ingredients() -> tuple[Ingredient, ...]:
    out = []
    for line in _INGREDIENTS.strip().splitlines():
        name, brand, salt, sf, ind = line.split("|")
        out.append(Ingredient(name.replace("\\\\", "\\"), brand, salt, sf, ind))
    return tuple(out)


INGREDIENTS: tuple[Ingredient, ...] = _parse_ingredients()
INGREDIENT_INDEX: dict[str, int] = {ing.name: i for i, ing in enumerate(INGREDIENTS)}
PTS: tuple[str, ...] = tuple(
    pt for line in _PTS.strip().splitlines() for pt in line.split("|") if pt
)
PT_INDEX: dict[str, int] = {pt: i for i, pt in enumerate(PTS)}
INDICATION_PTS: tuple[str, ...] = tuple(
    dict.fromkeys([*_INDICATIONS_EXTRA, *(i.indication for i in INGREDIENTS)])
)

#: (FAERS 2-letter code, legacy full name, weight)
COUNTRIES: tuple[tuple[str, str, float], ...] = (
    ("US", "UNITED STATES", 0.62), ("GB", "UNITED KINGDOM", 0.05), ("CA", "CANADA", 0.05),
    ("JP", "JAPAN", 0.05), ("FR", "FRANCE", 0.04), ("DE", "GERMANY", 0.04),
    ("IT", "ITALY", 0.025), ("ES", "SPAIN", 0.02), ("BR", "BRAZIL", 0.02),
    ("CN", "CHINA", 0.015), ("AU", "AUSTRALIA", 0.015), ("NL", "NETHERLANDS", 0.01),
    ("IN", "INDIA", 0.01), ("KR", "KOREA, REPUBLIC OF", 0.01), ("CO", "COLOMBIA", 0.008),
    ("AR", "ARGENTINA", 0.007), ("BE", "BELGIUM", 0.006), ("SE", "SWEDEN", 0.005),
    ("CH", "SWITZERLAND", 0.005), ("MX", "MEXICO", 0.005),
)

#: (mfr_sndr as printed, token used inside mfr_num)
COMPANIES: tuple[tuple[str, str], ...] = (
    ("PFIZER", "PFIZER INC"), ("NOVARTIS", "NOVARTISPHARMA"), ("JANSSEN", "JNJFOC"),
    ("MERCK", "MERCK"), ("ASTRAZENECA", "ASTRAZENECA"), ("GLAXOSMITHKLINE", "GLAXOSMITHKLINE"),
    ("ROCHE", "ROCHE"), ("TEVA", "TEVA"), ("SANDOZ", "SANDOZ"), ("AMGEN", "AMGEN"),
    ("ABBVIE", "ABBVIE"), ("BRISTOL-MYERS SQUIBB", "BRISTOL-MYERS SQUIBB COMPANY"),
    ("ELI LILLY AND COMPANY", "LILLY"), ("SANOFI", "SANOFI"), ("BAYER", "BAYER"),
    ("ASTELLAS", "ASTELLAS"), ("TAKEDA", "TAKEDA"), ("BOEHRINGER INGELHEIM", "BOEHRINGERINGELHEIM"),
    ("MYLAN", "MYLAN"), ("SUN PHARMA", "SUN PHARMACEUTICAL INDUSTRIES LTD"),
    ("AUROBINDO", "AUROBINDO"), ("GILEAD", "GILEAD"), ("BIOGEN", "BIOGEN"),
    ("CELGENE", "CELGENE"), ("AURINIA PHARMACEUTICALS INC", "AURINIA"),
)
AURINIA = len(COMPANIES) - 1

ROUTES_FAERS = ("Oral", "Subcutaneous", "Intravenous (not otherwise specified)", "Unknown",
                "Intramuscular", "Topical", "Transdermal", "Respiratory (inhalation)", "")
ROUTES_LEGACY = ("ORAL", "SUBCUTANEOUS", "INTRAVENOUS", "", "INTRAMUSCULAR", "TOPICAL",
                 "TRANSDERMAL", "RESPIRATORY (INHALATION)", "")
ROUTE_WEIGHTS = np.array([0.45, 0.12, 0.08, 0.12, 0.02, 0.02, 0.01, 0.02, 0.16])

FREQS = ("QD", "BID", "TID", "QW", "Q2W", "")
FREQ_WEIGHTS = np.array([0.18, 0.10, 0.03, 0.03, 0.02, 0.64])


def zipf_weights(n: int, s: float, q: float) -> np.ndarray:
    """Zipf–Mandelbrot weights w_k ∝ 1/(k + q)^s for ranks k = 1…n, normalised to sum 1."""
    w = 1.0 / (np.arange(1, n + 1) + q) ** s
    return w / w.sum()
