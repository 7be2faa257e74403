"""The framework data that migration 0002 loads, frozen as it was when the migration was written.

Copied from inspections/frameworks/pdu-2021.json, adult-2018.json and youth-2018.json: a later
edit of those files must not change what a fresh database is built with, so the migration
reads this copy, never the live files. A framework revision is a new framework record,
loaded by a new migration with its own frozen copy.
"""

FRAMEWORKS = [
    {
        "code": "pdu-2021",
        "title": "Adult probation PDU inspection framework (2021)",
        "description": "HM Inspectorate of Probation standards for inspecting Probation Delivery Units, from June 2021: "
        "nine standards in two domains, scored out of 27.",
        "outstanding_threshold": 80,
        "good_threshold": 65,
        "requires_improvement_threshold": 50,
        "rounding": "exact",
        "points": {"outstanding": 3, "good": 2, "requires_improvement": 1, "inadequate": 0},
        "bands": [["inadequate", 0, 4], ["requires_improvement", 5, 13], ["good", 14, 22], ["outstanding", 23, 27]],
        "standards": [
            {
                "domain": 1,
                "domain_title": "Organisational delivery",
                "code": "1.1",
                "title": "Leadership",
                "rated_by": "judgement",
                "headline": "The leadership of the PDU supports and promotes the delivery of a high-quality, "
                "personalised and responsive service for all people on probation.",
                "key_questions": [
                    {
                        "code": "1.1.1",
                        "kind": "key_question",
                        "text": "Is there an effective vision and strategy driving the delivery of a "
                        "high-quality service for all people on probation?",
                        "lens": "overall",
                        "allows_not_applicable": False,
                        "prompts": [],
                    },
                    {
                        "code": "1.1.2",
                        "kind": "key_question",
                        "text": "Are the risks to the delivery of a high-quality service for all "
                        "people on probation identified, communicated and responded to?",
                        "lens": "overall",
                        "allows_not_applicable": False,
                        "prompts": [],
                    },
                    {
                        "code": "1.1.3",
                        "kind": "key_question",
                        "text": "Does the operating model support effective service delivery, meeting "
                        "the needs of all people on probation?",
                        "lens": "overall",
                        "allows_not_applicable": False,
                        "prompts": [],
                    },
                ],
            },
            {
                "domain": 1,
                "domain_title": "Organisational delivery",
                "code": "1.2",
                "title": "Staff",
                "rated_by": "judgement",
                "headline": "Staff in the PDU are empowered to deliver a high-quality, personalised and "
                "responsive service for all people on probation.",
                "key_questions": [
                    {
                        "code": "1.2.1",
                        "kind": "key_question",
                        "text": "Do staffing and workload levels support the delivery of a "
                        "high-quality service for all people on probation?",
                        "lens": "overall",
                        "allows_not_applicable": False,
                        "prompts": [],
                    },
                    {
                        "code": "1.2.2",
                        "kind": "key_question",
                        "text": "Do the skills and experience of staff support the delivery of a "
                        "high-quality service for all people on probation?",
                        "lens": "overall",
                        "allows_not_applicable": False,
                        "prompts": [],
                    },
                    {
                        "code": "1.2.3",
                        "kind": "key_question",
                        "text": "Does the oversight of work support high-quality delivery and "
                        "professional development?",
                        "lens": "overall",
                        "allows_not_applicable": False,
                        "prompts": [],
                    },
                    {
                        "code": "1.2.4",
                        "kind": "key_question",
                        "text": "Are arrangements for learning and development comprehensive and responsive?",
                        "lens": "overall",
                        "allows_not_applicable": False,
                        "prompts": [],
                    },
                    {
                        "code": "1.2.5",
                        "kind": "key_question",
                        "text": "Do managers pay sufficient attention to staff engagement?",
                        "lens": "overall",
                        "allows_not_applicable": False,
                        "prompts": [],
                    },
                ],
            },
            {
                "domain": 1,
                "domain_title": "Organisational delivery",
                "code": "1.3",
                "title": "Services",
                "rated_by": "judgement",
                "headline": "A comprehensive range of high-quality services is in place, supporting a tailored "
                "and responsive service for all people on probation.",
                "key_questions": [
                    {
                        "code": "1.3.1",
                        "kind": "key_question",
                        "text": "Is there a thorough analysis of the profile of people on probation, "
                        "used to deliver well-targeted services?",
                        "lens": "overall",
                        "allows_not_applicable": False,
                        "prompts": [],
                    },
                    {
                        "code": "1.3.2",
                        "kind": "key_question",
                        "text": "Does the PDU work in partnership with other agencies to deliver a "
                        "tailored and responsive service?",
                        "lens": "overall",
                        "allows_not_applicable": False,
                        "prompts": [],
                    },
                    {
                        "code": "1.3.3",
                        "kind": "key_question",
                        "text": "Are the views of people on probation sought, analysed and used to "
                        "review and improve the effectiveness of services?",
                        "lens": "overall",
                        "allows_not_applicable": False,
                        "prompts": [],
                    },
                ],
            },
            {
                "domain": 1,
                "domain_title": "Organisational delivery",
                "code": "1.4",
                "title": "Information and facilities",
                "rated_by": "judgement",
                "headline": "Timely and relevant information is available and appropriate facilities are in place "
                "to support a high-quality, personalised and responsive approach for all people on "
                "probation.",
                "key_questions": [
                    {
                        "code": "1.4.1",
                        "kind": "key_question",
                        "text": "Are the necessary policies and guidance in place to enable staff to "
                        "deliver a high-quality service?",
                        "lens": "overall",
                        "allows_not_applicable": False,
                        "prompts": [],
                    },
                    {
                        "code": "1.4.2",
                        "kind": "key_question",
                        "text": "Does the delivery environment meet the needs of people on probation "
                        "and enable staff to deliver a high-quality service?",
                        "lens": "overall",
                        "allows_not_applicable": False,
                        "prompts": [],
                    },
                    {
                        "code": "1.4.3",
                        "kind": "key_question",
                        "text": "Do the information and communication technology (ICT) systems enable "
                        "staff to deliver a high-quality service?",
                        "lens": "overall",
                        "allows_not_applicable": False,
                        "prompts": [],
                    },
                    {
                        "code": "1.4.4",
                        "kind": "key_question",
                        "text": "Are analysis, evidence and learning used effectively to drive improvement?",
                        "lens": "overall",
                        "allows_not_applicable": False,
                        "prompts": [],
                    },
                ],
            },
            {
                "domain": 2,
                "domain_title": "Court work and case supervision",
                "code": "2.1",
                "title": "Court work",
                "rated_by": "case_data",
                "headline": "Pre-sentence information and advice provided to court supports its decision-making.",
                "key_questions": [
                    {
                        "code": "2.1.1",
                        "kind": "key_question",
                        "text": "Is the pre-sentence information and advice provided to court "
                        "sufficiently analytical and personalised, supporting the court's "
                        "decision-making?",
                        "lens": "overall",
                        "allows_not_applicable": False,
                        "prompts": [
                            {
                                "code": "2.1.1.a",
                                "kind": "prompt",
                                "text": "Does the advice draw sufficiently on available sources of information?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.1.1.b",
                                "kind": "prompt",
                                "text": "Was police domestic abuse information obtained and used "
                                "to inform the advice to court?",
                                "allows_not_applicable": True,
                            },
                            {
                                "code": "2.1.1.c",
                                "kind": "prompt",
                                "text": "Was children's services safeguarding information "
                                "obtained and used to inform the advice to court?",
                                "allows_not_applicable": True,
                            },
                            {
                                "code": "2.1.1.d",
                                "kind": "prompt",
                                "text": "Was the person on probation meaningfully involved in the "
                                "preparation of the report?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.1.1.e",
                                "kind": "prompt",
                                "text": "Does the advice consider the impact of the offence on "
                                "known or identifiable victims?",
                                "allows_not_applicable": True,
                            },
                            {
                                "code": "2.1.1.f",
                                "kind": "prompt",
                                "text": "Does the advice consider factors related to the "
                                "likelihood of reoffending and risk of serious harm?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.1.1.g",
                                "kind": "prompt",
                                "text": "Does the advice consider the diversity and personal "
                                "circumstances of the person on probation?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.1.1.h",
                                "kind": "prompt",
                                "text": "Is a suitable sentence proposed, with a clear explanation of the reasons?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.1.1.i",
                                "kind": "prompt",
                                "text": "Was the type of report (oral, short format or standard) suited to the case?",
                                "allows_not_applicable": False,
                            },
                        ],
                        "requires_court_report": True,
                    }
                ],
            },
            {
                "domain": 2,
                "domain_title": "Court work and case supervision",
                "code": "2.2",
                "title": "Assessment",
                "rated_by": "case_data",
                "headline": "Assessment is well-informed, analytical and personalised, actively involving the "
                "person on probation.",
                "key_questions": [
                    {
                        "code": "2.2.1",
                        "kind": "key_question",
                        "text": "Does assessment focus sufficiently on engaging the person on probation?",
                        "lens": "engagement",
                        "allows_not_applicable": False,
                        "prompts": [
                            {
                                "code": "2.2.1.a",
                                "kind": "prompt",
                                "text": "Does assessment analyse the motivation and readiness of "
                                "the person on probation to engage and comply with the "
                                "sentence?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.2.1.b",
                                "kind": "prompt",
                                "text": "Does assessment analyse diversity and personal "
                                "circumstances, and their impact on the ability to comply "
                                "and engage?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.2.1.c",
                                "kind": "prompt",
                                "text": "Does assessment give sufficient attention to the views "
                                "of the person on probation?",
                                "allows_not_applicable": False,
                            },
                        ],
                    },
                    {
                        "code": "2.2.2",
                        "kind": "key_question",
                        "text": "Does assessment focus sufficiently on the factors linked to offending and desistance?",
                        "lens": "desistance",
                        "allows_not_applicable": False,
                        "prompts": [
                            {
                                "code": "2.2.2.a",
                                "kind": "prompt",
                                "text": "Does assessment identify and analyse offending-related factors?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.2.2.b",
                                "kind": "prompt",
                                "text": "Does assessment identify the strengths and protective "
                                "factors of the person on probation?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.2.2.c",
                                "kind": "prompt",
                                "text": "Does assessment draw sufficiently on information from other agencies?",
                                "allows_not_applicable": True,
                            },
                        ],
                    },
                    {
                        "code": "2.2.3",
                        "kind": "key_question",
                        "text": "Does assessment focus sufficiently on keeping other people safe?",
                        "lens": "safety",
                        "allows_not_applicable": False,
                        "prompts": [
                            {
                                "code": "2.2.3.a",
                                "kind": "prompt",
                                "text": "Does assessment clearly identify and analyse any risk of harm to others?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.2.3.b",
                                "kind": "prompt",
                                "text": "Does assessment draw sufficiently on past behaviour and "
                                "convictions, and on information from other agencies?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.2.3.c",
                                "kind": "prompt",
                                "text": "Does assessment analyse the risks to actual and potential victims?",
                                "allows_not_applicable": True,
                            },
                            {
                                "code": "2.2.3.d",
                                "kind": "prompt",
                                "text": "Was an enquiry made to the police about domestic abuse?",
                                "allows_not_applicable": True,
                            },
                            {
                                "code": "2.2.3.e",
                                "kind": "prompt",
                                "text": "Was an enquiry made to children's services about safeguarding?",
                                "allows_not_applicable": True,
                            },
                        ],
                    },
                ],
            },
            {
                "domain": 2,
                "domain_title": "Court work and case supervision",
                "code": "2.3",
                "title": "Planning",
                "rated_by": "case_data",
                "headline": "Planning is well-informed, holistic and personalised, actively involving the person "
                "on probation.",
                "key_questions": [
                    {
                        "code": "2.3.1",
                        "kind": "key_question",
                        "text": "Does planning focus sufficiently on engaging the person on probation?",
                        "lens": "engagement",
                        "allows_not_applicable": False,
                        "prompts": [
                            {
                                "code": "2.3.1.a",
                                "kind": "prompt",
                                "text": "Does planning involve the person on probation meaningfully?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.3.1.b",
                                "kind": "prompt",
                                "text": "Does planning take sufficient account of diversity and "
                                "personal circumstances?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.3.1.c",
                                "kind": "prompt",
                                "text": "Does planning take sufficient account of readiness and motivation to change?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.3.1.d",
                                "kind": "prompt",
                                "text": "Does planning set out how all the requirements of the "
                                "sentence will be delivered in the time available?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.3.1.e",
                                "kind": "prompt",
                                "text": "Does planning set a level and pattern of contact "
                                "sufficient to engage the person on probation?",
                                "allows_not_applicable": False,
                            },
                        ],
                    },
                    {
                        "code": "2.3.2",
                        "kind": "key_question",
                        "text": "Does planning focus sufficiently on reducing reoffending and supporting desistance?",
                        "lens": "desistance",
                        "allows_not_applicable": False,
                        "prompts": [
                            {
                                "code": "2.3.2.a",
                                "kind": "prompt",
                                "text": "Does planning set out and prioritise the factors most linked to offending?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.3.2.b",
                                "kind": "prompt",
                                "text": "Does planning build on the strengths and protective "
                                "factors of the person on probation?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.3.2.c",
                                "kind": "prompt",
                                "text": "Does planning set out the services most likely to reduce "
                                "reoffending and support desistance?",
                                "allows_not_applicable": False,
                            },
                        ],
                    },
                    {
                        "code": "2.3.3",
                        "kind": "key_question",
                        "text": "Does planning focus sufficiently on keeping other people safe?",
                        "lens": "safety",
                        "allows_not_applicable": False,
                        "prompts": [
                            {
                                "code": "2.3.3.a",
                                "kind": "prompt",
                                "text": "Does planning set out and prioritise the factors most linked to risk of harm?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.3.3.b",
                                "kind": "prompt",
                                "text": "Does planning include the necessary constructive and "
                                "restrictive interventions and measures?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.3.3.c",
                                "kind": "prompt",
                                "text": "Does planning link to multi-agency child protection or risk management plans?",
                                "allows_not_applicable": True,
                            },
                            {
                                "code": "2.3.3.d",
                                "kind": "prompt",
                                "text": "Does planning set out contingency arrangements to manage "
                                "the risks identified?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.3.3.e",
                                "kind": "prompt",
                                "text": "Does planning address the need to keep actual and potential victims safe?",
                                "allows_not_applicable": True,
                            },
                        ],
                    },
                ],
            },
            {
                "domain": 2,
                "domain_title": "Court work and case supervision",
                "code": "2.4",
                "title": "Implementation and delivery",
                "rated_by": "case_data",
                "headline": "High-quality, well-focused, personalised and coordinated services are delivered, "
                "engaging the person on probation.",
                "key_questions": [
                    {
                        "code": "2.4.1",
                        "kind": "key_question",
                        "text": "Is the sentence or post-custody period implemented effectively with a "
                        "focus on engaging the person on probation?",
                        "lens": "engagement",
                        "allows_not_applicable": False,
                        "prompts": [
                            {
                                "code": "2.4.1.a",
                                "kind": "prompt",
                                "text": "Did the sentence or post-custody period start promptly?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.4.1.b",
                                "kind": "prompt",
                                "text": "Was an effective working relationship developed with the person on probation?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.4.1.c",
                                "kind": "prompt",
                                "text": "Was delivery flexible, taking account of diversity and "
                                "personal circumstances?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.4.1.d",
                                "kind": "prompt",
                                "text": "Was non-compliance addressed appropriately?",
                                "allows_not_applicable": True,
                            },
                            {
                                "code": "2.4.1.e",
                                "kind": "prompt",
                                "text": "Was enforcement action taken when appropriate?",
                                "allows_not_applicable": True,
                            },
                        ],
                    },
                    {
                        "code": "2.4.2",
                        "kind": "key_question",
                        "text": "Does the implementation and delivery of services effectively support desistance?",
                        "lens": "desistance",
                        "allows_not_applicable": False,
                        "prompts": [
                            {
                                "code": "2.4.2.a",
                                "kind": "prompt",
                                "text": "Were the services most likely to reduce reoffending and "
                                "support desistance delivered, and sequenced well?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.4.2.b",
                                "kind": "prompt",
                                "text": "Did delivery build on the strengths and protective "
                                "factors of the person on probation?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.4.2.c",
                                "kind": "prompt",
                                "text": "Was the involvement of other organisations coordinated?",
                                "allows_not_applicable": True,
                            },
                            {
                                "code": "2.4.2.d",
                                "kind": "prompt",
                                "text": "Was the level and nature of contact sufficient to support desistance?",
                                "allows_not_applicable": False,
                            },
                        ],
                    },
                    {
                        "code": "2.4.3",
                        "kind": "key_question",
                        "text": "Does the implementation and delivery of services effectively support "
                        "the safety of other people?",
                        "lens": "safety",
                        "allows_not_applicable": False,
                        "prompts": [
                            {
                                "code": "2.4.3.a",
                                "kind": "prompt",
                                "text": "Was the level and nature of contact sufficient to manage "
                                "and minimise the risk of harm?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.4.3.b",
                                "kind": "prompt",
                                "text": "Was sufficient attention given to protecting actual and potential victims?",
                                "allows_not_applicable": True,
                            },
                            {
                                "code": "2.4.3.c",
                                "kind": "prompt",
                                "text": "Was the involvement of other agencies in managing the "
                                "risk of harm coordinated?",
                                "allows_not_applicable": True,
                            },
                            {
                                "code": "2.4.3.d",
                                "kind": "prompt",
                                "text": "Were home visits undertaken where necessary?",
                                "allows_not_applicable": True,
                            },
                        ],
                    },
                ],
            },
            {
                "domain": 2,
                "domain_title": "Court work and case supervision",
                "code": "2.5",
                "title": "Reviewing",
                "rated_by": "case_data",
                "headline": "Reviewing of progress is well-informed, analytical and personalised, actively "
                "involving the person on probation.",
                "key_questions": [
                    {
                        "code": "2.5.1",
                        "kind": "key_question",
                        "text": "Does reviewing focus sufficiently on supporting the compliance and "
                        "engagement of the person on probation?",
                        "lens": "engagement",
                        "allows_not_applicable": True,
                        "prompts": [
                            {
                                "code": "2.5.1.a",
                                "kind": "prompt",
                                "text": "Does reviewing identify and address changes in factors "
                                "linked to compliance and engagement?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.5.1.b",
                                "kind": "prompt",
                                "text": "Is the person on probation meaningfully involved in reviewing their progress?",
                                "allows_not_applicable": False,
                            },
                        ],
                    },
                    {
                        "code": "2.5.2",
                        "kind": "key_question",
                        "text": "Does reviewing focus sufficiently on supporting desistance?",
                        "lens": "desistance",
                        "allows_not_applicable": True,
                        "prompts": [
                            {
                                "code": "2.5.2.a",
                                "kind": "prompt",
                                "text": "Does reviewing identify and address changes in factors linked to offending?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.5.2.b",
                                "kind": "prompt",
                                "text": "Does reviewing lead to the necessary adjustments to the plan?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.5.2.c",
                                "kind": "prompt",
                                "text": "Is reviewing informed by other agencies involved in the case?",
                                "allows_not_applicable": True,
                            },
                        ],
                    },
                    {
                        "code": "2.5.3",
                        "kind": "key_question",
                        "text": "Does reviewing focus sufficiently on keeping other people safe?",
                        "lens": "safety",
                        "allows_not_applicable": True,
                        "prompts": [
                            {
                                "code": "2.5.3.a",
                                "kind": "prompt",
                                "text": "Does reviewing identify and address changes in factors "
                                "related to risk of harm?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.5.3.b",
                                "kind": "prompt",
                                "text": "Does reviewing lead to the necessary adjustments to the risk management plan?",
                                "allows_not_applicable": False,
                            },
                            {
                                "code": "2.5.3.c",
                                "kind": "prompt",
                                "text": "Is reviewing informed by other agencies involved in "
                                "managing the risk of harm?",
                                "allows_not_applicable": True,
                            },
                            {
                                "code": "2.5.3.d",
                                "kind": "prompt",
                                "text": "Is there a written record of the review of risk of harm?",
                                "allows_not_applicable": False,
                            },
                        ],
                    },
                ],
            },
        ],
        "case_wide_prompts": [
            {
                "code": "C.1",
                "kind": "prompt",
                "text": "Was management oversight sufficient, supporting the quality of the work?",
                "allows_not_applicable": True,
            },
            {
                "code": "C.2",
                "kind": "prompt",
                "text": "Was pre-release work sufficient to prepare for release and manage the risks on licence?",
                "allows_not_applicable": True,
                "case_types": ["licence"],
            },
            {
                "code": "C.3",
                "kind": "prompt",
                "text": "Was the statutory victim contact scheme offered and delivered in eligible cases?",
                "allows_not_applicable": True,
            },
        ],
    },
    {
        "code": "adult-2018",
        "title": "Adult probation inspection framework (2018), rules only",
        "description": "Ten standards scored out of 30. Band table only; standards are not loaded.",
        "outstanding_threshold": 80,
        "good_threshold": 65,
        "requires_improvement_threshold": 50,
        "rounding": "exact",
        "points": {"outstanding": 3, "good": 2, "requires_improvement": 1, "inadequate": 0},
        "standard_count": 10,
        "bands": [["inadequate", 0, 5], ["requires_improvement", 6, 15], ["good", 16, 25], ["outstanding", 26, 30]],
        "standards": [],
        "case_wide_prompts": [],
    },
    {
        "code": "youth-2018",
        "title": "Youth offending services inspection framework, rules only",
        "description": "Twelve standards scored out of 36. Band table only; standards are not loaded.",
        "outstanding_threshold": 80,
        "good_threshold": 65,
        "requires_improvement_threshold": 50,
        "rounding": "exact",
        "points": {"outstanding": 3, "good": 2, "requires_improvement": 1, "inadequate": 0},
        "standard_count": 12,
        "bands": [["inadequate", 0, 6], ["requires_improvement", 7, 18], ["good", 19, 30], ["outstanding", 31, 36]],
        "standards": [],
        "case_wide_prompts": [],
    },
]
