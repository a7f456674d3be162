// Sample briefings for the demo SOR (Australian Government ministerial-briefing flavour; all
// names, figures and events are fictional). Seeded once, into an empty store, shared with the
// sample user; a few also go to two colleagues so that several users have data.
import { SAMPLE_USER } from '../../../../src/shared/protocol.js';
import type { Classification, Priority } from '../../../../src/shared/briefing.js';
import type { AttachmentInput, DemoSor } from './demo-sor.sqlite.js';
import type { BarChartSpec } from './seed-attachments.js';
import { renderBarChartPng, renderBriefingPdf } from './seed-attachments.js';

type Table = { caption: string; headers: readonly string[]; rows: readonly (readonly string[])[] };

type Seed = {
  title: string;
  summary: string;
  classification: Classification;
  priority: Priority;
  sender: { name: string; role: string };
  /** How long before seeding the briefing was written: days and hour of that day (local). */
  ago: [days: number, hour: number];
  purpose: string;
  background: readonly string[];
  keyPoints: readonly string[];
  table?: Table;
  recommendations: readonly string[];
  /** Attach a PDF built from these sections. */
  pdf?: {
    file: string;
    subtitle: string;
    sections: readonly { heading: string; paragraphs: readonly string[] }[];
  };
  /** Attach a PNG bar chart. */
  chart?: BarChartSpec & { file: string };
  alsoFor?: readonly string[];
};

export const SAMPLE_COLLEAGUES = [
  { id: 'sam.taylor', displayName: 'Sam Taylor' },
  { id: 'jordan.lee', displayName: 'Jordan Lee' },
] as const;

const PMC = (name: string, role: string) => ({
  name,
  role: `${role}, Department of the Prime Minister and Cabinet`,
});

const SEEDS: readonly Seed[] = [
  {
    title: 'Cabinet submission: National Critical Minerals Reserve',
    summary:
      'Cabinet will consider a strategic reserve for rare earths and lithium next Tuesday; Treasury and Industry positions differ on the funding model.',
    classification: 'PROTECTED',
    priority: 'urgent',
    sender: PMC('Priya Raman', 'First Assistant Secretary, Industry and Infrastructure'),
    ago: [0, 8],
    purpose:
      'To brief you ahead of Cabinet consideration of the National Critical Minerals Reserve submission on Tuesday.',
    background: [
      'The Reserve would secure offtake agreements for up to 20 per cent of domestic rare-earth oxide production and establish a stockpile of processed lithium hydroxide.',
      'Industry proposes a $1.2 billion capital injection over four years; Treasury prefers a concessional loan facility administered by the Export Finance agency.',
    ],
    keyPoints: [
      'Both options meet the strategic objective; they differ mainly in budget treatment.',
      'Allied partners have signalled interest in co-investment under the Minerals Security Partnership.',
      'State governments of Western Australia and the Northern Territory support the proposal.',
    ],
    table: {
      caption: 'Funding options compared',
      headers: ['Option', 'Budget impact (4 yrs)', 'Risk', 'Lead agency'],
      rows: [
        ['Capital injection', '$1.2b (underlying cash)', 'Medium', 'Industry'],
        ['Concessional loans', '$0.3b (headline only)', 'Low–medium', 'Treasury'],
        ['Hybrid', '$0.7b', 'Medium', 'Joint'],
      ],
    },
    recommendations: [
      'Note the differing agency positions.',
      'Agree to support the hybrid option as a basis for discussion.',
    ],
    pdf: {
      file: 'critical-minerals-reserve-cabinet-submission.pdf',
      subtitle: 'Cabinet submission — summary of options (draft for Cabinet)',
      sections: [
        {
          heading: 'Purpose',
          paragraphs: [
            'This submission seeks agreement to establish a National Critical Minerals Reserve to strengthen supply chains for rare earths and lithium, and to secure offtake from Australian producers.',
          ],
        },
        {
          heading: 'Options',
          paragraphs: [
            'Option 1 is a direct capital injection of $1.2 billion over four years. Option 2 is a concessional loan facility of up to $2 billion administered by the Export Finance agency. Option 3 combines a smaller capital injection with loans.',
            'Departments agree that each option meets the strategic objective. They differ on budget treatment, the speed of implementation and the exposure of the Commonwealth to commodity price risk.',
          ],
        },
        {
          heading: 'Consultation',
          paragraphs: [
            'Treasury, Finance, Industry, Foreign Affairs and Trade, and Defence were consulted. Western Australia and the Northern Territory were consulted on a confidential basis.',
          ],
        },
      ],
    },
    alsoFor: ['sam.taylor'],
  },
  {
    title: 'Bushfire season outlook: Commonwealth preparedness',
    summary:
      'The Bureau forecasts an above-average fire season in southern Queensland and northern NSW; Defence assistance arrangements are ready.',
    classification: 'OFFICIAL',
    priority: 'priority',
    sender: {
      name: 'Daniel Okafor',
      role: 'Coordinator-General, National Emergency Management Agency',
    },
    ago: [1, 10],
    purpose: 'To update you on Commonwealth preparedness for the coming bushfire season.',
    background: [
      'Seasonal outlooks indicate above-average fire potential for south-east Queensland, northern New South Wales and parts of Victoria’s east.',
      'The National Aerial Firefighting Centre has contracted 161 aircraft, including six large air tankers.',
    ],
    keyPoints: [
      'Defence Assistance to the Civil Community arrangements have been exercised with all states.',
      'The Australian Warning System is now used consistently by every jurisdiction.',
      'Disaster recovery funding arrangements were updated on 1 July.',
    ],
    table: {
      caption: 'Fire potential by region',
      headers: ['Region', 'Outlook', 'Peak period'],
      rows: [
        ['South-east Queensland', 'Above normal', 'October–December'],
        ['Northern NSW', 'Above normal', 'October–January'],
        ['East Gippsland', 'Normal to above', 'December–February'],
        ['South-west WA', 'Normal', 'January–March'],
      ],
    },
    recommendations: [
      'Note the outlook.',
      'Agree to a joint media statement with the Minister for Emergency Management.',
    ],
    chart: {
      file: 'aircraft-contracted-by-season.png',
      title: 'Firefighting aircraft contracted, by season',
      unit: 'aircraft',
      labels: ['2020–21', '2021–22', '2022–23', '2023–24', '2024–25'],
      values: [120, 128, 135, 150, 161],
    },
    alsoFor: ['jordan.lee'],
  },
  {
    title: 'Question Time brief: cost-of-living measures',
    summary:
      'Lines on energy bill relief, rent assistance and the cheaper medicines reform, with the latest figures.',
    classification: 'OFFICIAL',
    priority: 'urgent',
    sender: { name: 'Hannah Liu', role: 'Senior Adviser (Parliamentary), Office of the Minister' },
    ago: [0, 12],
    purpose: 'To support you in Question Time today.',
    background: [
      'The Opposition is expected to focus on electricity prices following yesterday’s default market offer announcement.',
    ],
    keyPoints: [
      'Energy Bill Relief has reached more than 10 million households.',
      'Maximum rates of Commonwealth Rent Assistance rose by a further 10 per cent.',
      'Cheaper medicines: the maximum PBS co-payment is now $31.60 for general patients.',
    ],
    table: {
      caption: 'Key figures',
      headers: ['Measure', 'Reach', 'Average saving'],
      rows: [
        ['Energy Bill Relief', '10.1m households', '$300 a year'],
        ['Rent Assistance increase', '1.0m households', '$19 a fortnight'],
        ['PBS co-payment cut', '3.4m patients', '$12 a script'],
      ],
    },
    recommendations: ['Use the attached lines if asked about electricity prices or rents.'],
    pdf: {
      file: 'question-time-lines.pdf',
      subtitle: 'Lines for Question Time: electricity prices and rents',
      sections: [
        {
          heading: 'If asked about electricity prices',
          paragraphs: [
            'Energy Bill Relief has taken $300 a year off the bills of more than 10 million households.',
            'The default market offer reflects wholesale costs from last year; wholesale prices have since fallen.',
            'We will keep easing cost-of-living pressures without adding to inflation.',
          ],
        },
        {
          heading: 'If asked about rents',
          paragraphs: [
            'Maximum rates of Commonwealth Rent Assistance have risen by a further 10 per cent, on top of last year’s 15 per cent.',
            'A million households receive on average $19 a fortnight more.',
          ],
        },
        {
          heading: 'If asked about medicines',
          paragraphs: [
            'The maximum PBS co-payment for general patients is now $31.60, a saving of about $12 a script.',
          ],
        },
      ],
    },
  },
  {
    title: 'Visit of the Prime Minister of New Zealand: program and talking points',
    summary:
      'Annual Leaders’ Meeting in Canberra on Thursday: trade, Pacific security, and the single economic market agenda.',
    classification: 'OFFICIAL: Sensitive',
    priority: 'priority',
    sender: {
      name: 'Michael Ferreira',
      role: 'First Assistant Secretary, International Division, PM&C',
    },
    ago: [2, 15],
    purpose: 'To provide the program and talking points for the Annual Leaders’ Meeting.',
    background: [
      'This is the fourth Annual Leaders’ Meeting under the 2023 Statement of Intent.',
      'New Zealand will seek progress on the pathway to citizenship and on trans-Tasman payment systems.',
    ],
    keyPoints: [
      'Welcome New Zealand’s increased contribution to Pacific policing initiatives.',
      'Propose a joint statement on critical minerals and clean energy supply chains.',
      'Note continued cooperation on the section 501 deportations framework.',
    ],
    table: {
      caption: 'Program',
      headers: ['Time', 'Event', 'Location'],
      rows: [
        ['09:00', 'Official welcome', 'Parliament House forecourt'],
        ['09:30', 'Leaders’ bilateral', 'Cabinet Room'],
        ['12:30', 'Working lunch with business leaders', 'Parliament House'],
        ['14:30', 'Joint press conference', 'Blue Room'],
      ],
    },
    recommendations: ['Note the program.', 'Agree the proposed joint statement text (attachment).'],
    pdf: {
      file: 'anzlm-joint-statement-draft.pdf',
      subtitle: 'Annual Australia–New Zealand Leaders’ Meeting — draft joint statement',
      sections: [
        {
          heading: 'Joint statement (draft)',
          paragraphs: [
            'The Prime Ministers of Australia and New Zealand met in Canberra for the Annual Leaders’ Meeting. They reaffirmed the depth of the relationship between the two countries and their shared commitment to a peaceful, stable and prosperous Pacific.',
            'Leaders agreed to deepen cooperation on critical minerals and clean energy supply chains, and welcomed progress towards a seamless trans-Tasman payments experience for businesses and consumers.',
          ],
        },
        {
          heading: 'Pacific',
          paragraphs: [
            'Leaders welcomed the Pacific Policing Initiative and agreed to coordinate support for regional resilience, including disaster preparedness and climate finance.',
          ],
        },
      ],
    },
  },
  {
    title: 'Housing Australia Future Fund: second funding round results',
    summary:
      'Round two approved 13,700 social and affordable homes; delivery risks in regional areas.',
    classification: 'OFFICIAL',
    priority: 'routine',
    sender: { name: 'Grace Whitfield', role: 'Assistant Secretary, Housing Policy, Treasury' },
    ago: [3, 9],
    purpose:
      'To inform you of the outcome of the second Housing Australia Future Fund funding round.',
    background: [
      'The second round closed in March with proposals from community housing providers in every state and territory.',
    ],
    keyPoints: [
      '13,700 homes approved, of which 5,200 are social housing.',
      'Construction cost escalation remains the main delivery risk, especially in regional Queensland and WA.',
      'Housing Australia will publish project-level data next month.',
    ],
    table: {
      caption: 'Approved homes by jurisdiction',
      headers: ['Jurisdiction', 'Social', 'Affordable'],
      rows: [
        ['NSW', '1,650', '2,540'],
        ['VIC', '1,420', '2,010'],
        ['QLD', '980', '1,620'],
        ['WA', '540', '760'],
        ['Other', '610', '1,570'],
      ],
    },
    recommendations: ['Note the results.'],
  },
  {
    title: 'Cyber incident at a telecommunications provider: situation report 3',
    summary:
      'Containment confirmed; no evidence customer identity documents were taken. Notifications continue.',
    classification: 'PROTECTED',
    priority: 'urgent',
    sender: {
      name: 'Lt Col Sarah Nguyen',
      role: 'Director, Australian Cyber Security Centre liaison',
    },
    ago: [0, 6],
    purpose: 'To update you on the cyber incident affecting a major telecommunications provider.',
    background: [
      'The provider detected unauthorised access to a billing platform on Saturday and engaged the ACSC.',
      'The National Cyber Security Coordinator convened the National Coordination Mechanism on Sunday.',
    ],
    keyPoints: [
      'Containment has been confirmed by the provider and independently by the ACSC.',
      'There is no evidence that identity documents were exfiltrated; names and phone numbers of about 180,000 customers were accessed.',
      'The provider has notified the OAIC under the Notifiable Data Breaches scheme.',
    ],
    recommendations: [
      'Note the update.',
      'Agree that the Coordinator brief the Opposition spokesperson on a confidential basis.',
    ],
    pdf: {
      file: 'cyber-incident-sitrep-3.pdf',
      subtitle: 'National Coordination Mechanism — situation report 3',
      sections: [
        {
          heading: 'Situation',
          paragraphs: [
            'At 0600 today the provider confirmed that the threat actor no longer has access to its environment. Credentials associated with the intrusion have been revoked and the affected billing platform has been rebuilt.',
          ],
        },
        {
          heading: 'Impact',
          paragraphs: [
            'Approximately 180,000 customer records containing names, phone numbers and billing addresses were accessed. There is no evidence that identity document numbers or payment card data were accessed.',
          ],
        },
        {
          heading: 'Next steps',
          paragraphs: [
            'The provider will complete customer notifications within 48 hours. The ACSC will publish indicators of compromise to partners. The next situation report will be issued at 1800.',
          ],
        },
      ],
    },
    alsoFor: ['sam.taylor', 'jordan.lee'],
  },
  {
    title: 'Senate Estimates preparation: Finance and Public Administration Committee',
    summary:
      'Likely lines of questioning on consultancy spending, APS staffing and the digital ID rollout.',
    classification: 'OFFICIAL',
    priority: 'priority',
    sender: PMC('Thomas Baker', 'Chief Operating Officer'),
    ago: [4, 11],
    purpose: 'To prepare you for Senate Estimates hearings next week.',
    background: ['Committee members have placed 46 questions on notice since the last round.'],
    keyPoints: [
      'Consultancy spending across the portfolio fell 18 per cent year on year.',
      'APS average staffing level is within the budgeted cap.',
      'Digital ID accreditation: 12 providers accredited; two applications under assessment.',
    ],
    table: {
      caption: 'Questions on notice by topic',
      headers: ['Topic', 'Questions', 'Answered'],
      rows: [
        ['Consultancies and contractors', '14', '12'],
        ['Staffing', '11', '11'],
        ['Digital ID', '9', '6'],
        ['Other', '12', '10'],
      ],
    },
    recommendations: ['Note the brief.', 'Agree to a preparatory session on Monday afternoon.'],
  },
  {
    title: 'Pacific Islands Forum: leaders’ communiqué negotiation update',
    summary: 'Agreement in reach on climate finance language; fisheries paragraph still open.',
    classification: 'OFFICIAL: Sensitive',
    priority: 'priority',
    sender: {
      name: 'Louisa Tuilagi',
      role: 'Deputy High Commissioner (seconded), DFAT Pacific Division',
    },
    ago: [5, 16],
    purpose: 'To update you on negotiation of the Forum leaders’ communiqué.',
    background: ['Officials met over three days in Suva to settle the draft communiqué.'],
    keyPoints: [
      'Climate finance wording acceptable to Australia has broad support.',
      'Two members seek stronger language on deep-sea mining; a compromise is in circulation.',
      'The fisheries paragraph will be settled by foreign ministers.',
    ],
    recommendations: [
      'Note progress.',
      'Authorise officials to accept the compromise language on deep-sea mining.',
    ],
  },
  {
    title: 'Water resources: Murray–Darling Basin water recovery progress',
    summary:
      'Recovery towards the 450 GL target remains behind schedule; voluntary purchase tender results due.',
    classification: 'OFFICIAL',
    priority: 'routine',
    sender: {
      name: 'Dr Eleanor Price',
      role: 'Deputy Secretary, Water, Department of Climate Change, Energy, the Environment and Water',
    },
    ago: [6, 14],
    purpose: 'To update you on water recovery under the Basin Plan.',
    background: [
      'The Restoring Our Rivers legislation extended deadlines and removed the cap on buybacks.',
    ],
    keyPoints: [
      '26.3 GL recovered towards the 450 GL enhanced environmental outcomes target.',
      'The current voluntary tender attracted offers totalling 110 GL.',
      'Community adjustment assistance is available to affected regions.',
    ],
    table: {
      caption: 'Recovery to date (GL)',
      headers: ['Program', 'Target', 'Recovered'],
      rows: [
        ['Bridging the gap', '2,075', '2,054'],
        ['Enhanced outcomes (450 GL)', '450', '26.3'],
      ],
    },
    recommendations: ['Note progress.'],
    chart: {
      file: 'water-recovery-by-year.png',
      title: 'Water recovered towards the 450 GL target',
      unit: 'GL, cumulative',
      labels: ['2021', '2022', '2023', '2024', '2025'],
      values: [2.1, 3.5, 6.8, 13.9, 26.3],
    },
  },
  {
    title: 'Defence Strategic Review implementation: quarterly update',
    summary:
      'Long-range strike and northern bases projects on schedule; workforce growth remains the key risk.',
    classification: 'PROTECTED',
    priority: 'routine',
    sender: {
      name: 'Air Vice-Marshal Chris Holloway',
      role: 'Head, Force Design, Department of Defence',
    },
    ago: [7, 10],
    purpose: 'To provide the quarterly update on implementation of the Defence Strategic Review.',
    background: ['The National Defence Strategy sets the priorities for the integrated force.'],
    keyPoints: [
      'Northern bases upgrade: works at three bases under way, on schedule.',
      'Long-range strike: first land-based maritime strike battery delivered.',
      'ADF workforce grew by 1,100 this quarter, still below the trajectory required.',
    ],
    table: {
      caption: 'Priority projects',
      headers: ['Project', 'Status', 'Trend'],
      rows: [
        ['Northern bases', 'On track', 'Stable'],
        ['Long-range strike', 'On track', 'Improving'],
        ['Guided weapons enterprise', 'Some risk', 'Stable'],
        ['Workforce growth', 'At risk', 'Improving'],
      ],
    },
    recommendations: ['Note the update.'],
    pdf: {
      file: 'dsr-implementation-q3.pdf',
      subtitle: 'Defence Strategic Review implementation — quarterly report to ministers',
      sections: [
        {
          heading: 'Overview',
          paragraphs: [
            'Implementation of the Defence Strategic Review continues in line with the National Defence Strategy. Of 62 recommendations, 41 are complete or on track and 21 are in progress with identified risks.',
          ],
        },
        {
          heading: 'Workforce',
          paragraphs: [
            'Recruitment improved for the fourth consecutive quarter, and separation rates fell to 9.2 per cent. The continuation bonus has been taken up by more than 4,000 members. Further growth is needed to meet the 2030 trajectory.',
          ],
        },
        {
          heading: 'Estate',
          paragraphs: [
            'Works at northern bases are proceeding to schedule. Runway and fuel infrastructure upgrades will be completed before the next wet season.',
          ],
        },
      ],
    },
  },
  {
    title: 'National Skills Agreement: state and territory negotiations',
    summary:
      'Victoria and Queensland have signed implementation plans; Tasmania seeks flexibility on TAFE funding.',
    classification: 'OFFICIAL',
    priority: 'routine',
    sender: {
      name: 'Ben Castellano',
      role: 'Group Manager, Skills Reform, Department of Employment and Workplace Relations',
    },
    ago: [8, 13],
    purpose: 'To update you on National Skills Agreement implementation plans.',
    background: [
      'The five-year agreement commenced on 1 January with $12.6 billion in Commonwealth funding.',
    ],
    keyPoints: [
      'Six jurisdictions have finalised implementation plans.',
      'Fee-Free TAFE enrolments exceeded 500,000.',
      'Tasmania has requested flexibility in matched funding for two years.',
    ],
    recommendations: [
      'Agree to a limited flexibility for Tasmania, subject to a catch-up in years four and five.',
    ],
  },
  {
    title: 'Budget: Expenditure Review Committee — portfolio savings options',
    summary: 'Options totalling $640 million over the forward estimates, with risk ratings.',
    classification: 'PROTECTED',
    priority: 'priority',
    sender: { name: 'Catherine Adeyemi', role: 'Chief Finance Officer, Department of Finance' },
    ago: [9, 9],
    purpose: 'To seek your views on savings options before the Expenditure Review Committee meets.',
    background: [
      'ERC has asked each portfolio for options equal to 1.5 per cent of departmental expenses.',
    ],
    keyPoints: [
      'Consolidating property leases in Canberra and Sydney saves $180 million.',
      'Reprioritising uncommitted grant funding saves $260 million.',
      'Reducing external labour saves $200 million, with delivery risk for two ICT programs.',
    ],
    table: {
      caption: 'Savings options ($m over four years)',
      headers: ['Option', 'Saving', 'Risk'],
      rows: [
        ['Property consolidation', '180', 'Low'],
        ['Grant reprioritisation', '260', 'Medium'],
        ['External labour reduction', '200', 'High'],
      ],
    },
    recommendations: ['Indicate which options you are prepared to offer to ERC.'],
  },
  {
    title: 'Media: response to report on aged care workforce',
    summary: 'Draft statement responding to today’s Royal Commission follow-up report.',
    classification: 'OFFICIAL',
    priority: 'urgent',
    sender: { name: 'Olivia Brennan', role: 'Media Adviser, Office of the Minister for Aged Care' },
    ago: [1, 7],
    purpose: 'To seek your clearance of a media statement.',
    background: [
      'The report finds progress on care minutes but continued shortages in regional areas.',
    ],
    keyPoints: [
      'Care minutes: sector average is 200 minutes per resident per day.',
      'Award wage increases of up to 28 per cent have flowed to aged care workers.',
      'Regional workforce incentives start next quarter.',
    ],
    recommendations: ['Clear the statement for release by 2 pm.'],
  },
  {
    title: 'Trade: Australia–European Union free trade agreement talks',
    summary:
      'Chief negotiators meet in Brussels; agricultural market access remains the sticking point.',
    classification: 'OFFICIAL: Sensitive',
    priority: 'routine',
    sender: {
      name: 'Andrew McKenzie',
      role: 'Chief Negotiator, Department of Foreign Affairs and Trade',
    },
    ago: [10, 11],
    purpose: 'To update you on the resumption of negotiations.',
    background: [
      'Talks paused in late 2023 over agricultural market access and geographical indications.',
    ],
    keyPoints: [
      'The EU has improved its offer on beef and sheepmeat quotas, but below our threshold.',
      'Geographical indications: a grandfathering approach for prosecco and feta is under discussion.',
      'Industry groups support a return to negotiations.',
    ],
    table: {
      caption: 'Market access (tonnes, annual quota)',
      headers: ['Product', 'EU offer', 'Australian ask'],
      rows: [
        ['Beef', '30,600', '60,000'],
        ['Sheepmeat', '25,000', '40,000'],
        ['Sugar', '35,000', '80,000'],
      ],
    },
    recommendations: ['Note the update.'],
  },
  {
    title: 'Health: mpox vaccination program update',
    summary: 'Uptake is strong in priority groups; supply is sufficient for the next quarter.',
    classification: 'OFFICIAL',
    priority: 'routine',
    sender: { name: 'Prof. Michael Tan', role: 'Chief Medical Officer' },
    ago: [11, 10],
    purpose: 'To update you on the mpox vaccination program.',
    background: ['Cases rose over summer; vaccination is free for eligible people.'],
    keyPoints: [
      'More than 120,000 doses administered.',
      'Supply is sufficient for the next quarter.',
      'Public health messaging will continue ahead of major events.',
    ],
    recommendations: ['Note the update.'],
  },
  {
    title: 'Infrastructure: Inland Rail — revised delivery schedule',
    summary: 'Completion to Parkes brought forward; Queensland sections remain under review.',
    classification: 'OFFICIAL',
    priority: 'priority',
    sender: { name: 'Rebecca Sinclair', role: 'Deputy Secretary, Infrastructure Investment' },
    ago: [12, 15],
    purpose: 'To inform you of the revised Inland Rail schedule before public release.',
    background: [
      'The independent review recommended staged delivery from Beveridge to Parkes first.',
    ],
    keyPoints: [
      'Beveridge to Parkes: completion expected in 2027.',
      'Environmental approvals for the Queensland sections remain outstanding.',
      'Intermodal terminal planning at Ebenezer and Beveridge continues.',
    ],
    recommendations: ['Agree to the release of the revised schedule on Friday.'],
  },
  {
    title: 'Energy: Capacity Investment Scheme tender outcomes',
    summary:
      'Latest tender secured 6.4 GW of generation and 4 GWh of storage; results embargoed until Monday.',
    classification: 'OFFICIAL: Sensitive',
    priority: 'priority',
    sender: { name: 'Dr Marcus Feld', role: 'Head, Energy Transition Division' },
    ago: [13, 9],
    purpose: 'To brief you on tender outcomes ahead of the announcement.',
    background: ['The Scheme underwrites new renewable generation and dispatchable capacity.'],
    keyPoints: [
      '19 projects selected across New South Wales, Victoria, Queensland and South Australia.',
      'Average strike prices came in below the benchmark.',
      'Community benefit commitments total $450 million.',
    ],
    table: {
      caption: 'Selected capacity by technology',
      headers: ['Technology', 'Capacity', 'Projects'],
      rows: [
        ['Wind', '3.9 GW', '7'],
        ['Solar', '2.5 GW', '6'],
        ['Battery storage', '4.0 GWh', '6'],
      ],
    },
    recommendations: ['Note the outcomes; results remain embargoed until Monday 6 am.'],
    chart: {
      file: 'cis-capacity-by-round.png',
      title: 'Capacity selected, by tender round',
      unit: 'GW',
      labels: ['Round 1', 'Round 2', 'Round 3', 'Round 4'],
      values: [1.1, 2.6, 4.3, 6.4],
    },
  },
  {
    title: 'Citizenship ceremonies: Australia Day arrangements',
    summary:
      'Councils have confirmed ceremonies; ministerial attendance proposed in Brisbane and Perth.',
    classification: 'OFFICIAL',
    priority: 'routine',
    sender: {
      name: 'Natalie Georgiou',
      role: 'Assistant Secretary, Citizenship, Department of Home Affairs',
    },
    ago: [14, 14],
    purpose: 'To seek your agreement to attend two citizenship ceremonies.',
    background: [
      'The Australian Citizenship Ceremonies Code requires councils to hold a ceremony on 26 January.',
    ],
    keyPoints: [
      'More than 19,000 people are expected to become citizens on the day.',
      'All councils have confirmed compliance with the Code.',
    ],
    recommendations: ['Agree to attend ceremonies in Brisbane (morning) and Perth (afternoon).'],
  },
  {
    title: 'Agriculture: biosecurity response to H5 avian influenza preparedness',
    summary: 'Preparedness funding allocated; surveillance expanded at high-risk wetlands.',
    classification: 'OFFICIAL',
    priority: 'priority',
    sender: { name: 'Dr Karen Whitlam', role: 'Chief Veterinary Officer' },
    ago: [15, 10],
    purpose: 'To update you on H5 bird flu preparedness.',
    background: ['H5N1 clade 2.3.4.4b has not been detected in Australia.'],
    keyPoints: [
      'Surveillance expanded to 42 high-risk wetland sites.',
      'Stockpiles of personal protective equipment replenished.',
      'A national exercise was run with all states in August.',
    ],
    recommendations: ['Note the update.'],
  },
  {
    title: 'Social Services: Jobseeker payment indexation — options paper',
    summary:
      'Three options for the September indexation, with fiscal cost and distributional analysis.',
    classification: 'PROTECTED',
    priority: 'routine',
    sender: {
      name: 'Fiona Delacroix',
      role: 'Group Manager, Payments Policy, Department of Social Services',
    },
    ago: [16, 11],
    purpose: 'To provide options ahead of the indexation decision.',
    background: ['Working-age payments are indexed twice a year to CPI.'],
    keyPoints: [
      'Option A: standard indexation only (no additional cost).',
      'Option B: additional $20 a fortnight for single recipients aged 55 and over.',
      'Option C: increase the income-free area for part-rate recipients.',
    ],
    table: {
      caption: 'Cost of options ($m over four years)',
      headers: ['Option', 'Cost', 'Recipients affected'],
      rows: [
        ['A', '0', '830,000'],
        ['B', '410', '190,000'],
        ['C', '265', '240,000'],
      ],
    },
    recommendations: ['Indicate a preferred option.'],
  },
  {
    title: 'Correspondence: letter from the Premier of South Australia on hydrogen hub funding',
    summary:
      'The Premier seeks bring-forward of hub funding; a draft reply is attached for signature.',
    classification: 'OFFICIAL',
    priority: 'routine',
    sender: PMC('James O’Connell', 'Ministerial Correspondence Unit'),
    ago: [17, 16],
    purpose: 'To seek your signature on a reply to the Premier of South Australia.',
    background: [
      'The Port Bonython hub was awarded $70 million under the Regional Hydrogen Hubs program.',
    ],
    keyPoints: [
      'The Premier asks that the second tranche be paid a year earlier.',
      'The program guidelines allow bring-forward where milestones are met early.',
    ],
    recommendations: ['Sign the attached reply.'],
    pdf: {
      file: 'draft-reply-premier-sa.pdf',
      subtitle: 'Draft reply for the Minister’s signature',
      sections: [
        {
          heading: 'Dear Premier',
          paragraphs: [
            'Thank you for your letter about the Port Bonython hydrogen hub.',
            'I am pleased to confirm that the second tranche of funding can be paid once the milestones for the first are met, which your officials expect early next year.',
            'My department will work with yours on the milestone evidence.',
          ],
        },
      ],
    },
  },
  {
    title: 'Intelligence: regional security outlook (summary)',
    summary: 'Summary assessment of the regional security environment for the next six months.',
    classification: 'PROTECTED',
    priority: 'priority',
    sender: {
      name: 'Dr Rachel Kim',
      role: 'Deputy Director-General, Office of National Intelligence',
    },
    ago: [18, 9],
    purpose: 'To provide the six-monthly summary of the regional security outlook.',
    background: [
      'This summary is cleared for the ministerial reading room at PROTECTED; the full assessment is available at a higher classification.',
    ],
    keyPoints: [
      'Strategic competition in the region continues to intensify.',
      'Grey-zone activity against critical infrastructure is increasing.',
      'Pacific partners are seeking more policing and maritime domain awareness support.',
    ],
    recommendations: ['Note the assessment.'],
  },
  {
    title: 'Events: National Press Club address — draft speech',
    summary: 'Draft speech on productivity and the care economy; comments requested by Thursday.',
    classification: 'OFFICIAL',
    priority: 'routine',
    sender: { name: 'Tom Aldridge', role: 'Speechwriter, Office of the Minister' },
    ago: [19, 13],
    purpose: 'To seek your comments on the draft speech.',
    background: ['The address is scheduled for Wednesday week and will be broadcast live.'],
    keyPoints: [
      'Themes: productivity, the care economy, and skills.',
      'Three new announcements are proposed for the speech.',
    ],
    recommendations: ['Provide comments by close of business Thursday.'],
  },
  {
    title: 'Treasury: monthly economic and fiscal update',
    summary:
      'Inflation continues to moderate; unemployment steady at 4.1 per cent; revenue ahead of budget.',
    classification: 'OFFICIAL: Sensitive',
    priority: 'routine',
    sender: { name: 'Sophie Marchetti', role: 'Chief Economist, The Treasury' },
    ago: [20, 8],
    purpose: 'To provide the monthly economic and fiscal update.',
    background: ['The update incorporates the latest labour force and CPI releases.'],
    keyPoints: [
      'Headline inflation 2.8 per cent; trimmed mean 3.2 per cent.',
      'Unemployment 4.1 per cent; participation near record highs.',
      'Tax receipts $2.1 billion above budget profile year to date.',
    ],
    table: {
      caption: 'Selected indicators',
      headers: ['Indicator', 'Latest', 'Previous'],
      rows: [
        ['CPI (annual)', '2.8%', '3.5%'],
        ['Unemployment rate', '4.1%', '4.1%'],
        ['Wage Price Index (annual)', '3.6%', '4.1%'],
      ],
    },
    recommendations: ['Note the update.'],
  },
];

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderBody(seed: Seed): string {
  const parts = [
    `<h2>Purpose</h2>`,
    `<p>${escapeHtml(seed.purpose)}</p>`,
    `<h2>Background</h2>`,
    ...seed.background.map((p) => `<p>${escapeHtml(p)}</p>`),
    `<h2>Key points</h2>`,
    `<ul>${seed.keyPoints.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>`,
  ];
  if (seed.table) {
    const t = seed.table;
    parts.push(
      `<table><caption>${escapeHtml(t.caption)}</caption>`,
      `<thead><tr>${t.headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
      `<tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`,
    );
  }
  parts.push(
    `<h2>Recommendations</h2>`,
    `<ol>${seed.recommendations.map((r) => `<li><strong>${escapeHtml(r)}</strong></li>`).join('')}</ol>`,
    `<p><em>Contact: ${escapeHtml(seed.sender.name)}, ${escapeHtml(seed.sender.role)}</em></p>`,
  );
  return parts.join('\n');
}

export const SEED_BRIEFING_COUNT = SEEDS.length;

/** The newest sample briefing was approved this long before seeding: it has just come in. */
const NEWEST_BEFORE_SEEDING_MS = 15 * 60_000;
/** How far apart today's briefings are moved back when their hour has not come yet. */
const MOVED_BACK_STEP_MS = 40 * 60_000;

/**
 * When each seed (given oldest first) was written: `ago` days before `now`, at its hour. Early in
 * the day some of today's hours have not come yet. Those briefings move back before `now`, one
 * step apart, newest first: moved to one time, several would read "4:21 AM" in the list, in no
 * particular order, and they must not slip behind the briefings written before them either.
 */
function withWrittenTimes(seeds: readonly Seed[], now: Date): { seed: Seed; written: Date }[] {
  const newest = now.getTime() - NEWEST_BEFORE_SEEDING_MS;
  let latest = newest - (newest % 60_000); // whole minutes, like the others
  const timed: { seed: Seed; written: Date }[] = [];
  for (const seed of [...seeds].reverse()) {
    const written = new Date(now);
    written.setDate(written.getDate() - seed.ago[0]);
    written.setHours(seed.ago[1], (seed.title.length * 7) % 60, 0, 0);
    if (written.getTime() > latest) written.setTime(latest);
    timed.unshift({ seed, written });
    latest = written.getTime() - MOVED_BACK_STEP_MS;
  }
  return timed;
}

/** Fills an empty demo SOR with the sample briefings; a no-op when it already has documents. */
export async function seedDemoSor(sor: DemoSor, now: Date = new Date()): Promise<number> {
  if (sor.documentCount() > 0) return 0;
  sor.addUser(SAMPLE_USER.id, SAMPLE_USER.displayName);
  for (const colleague of SAMPLE_COLLEAGUES) sor.addUser(colleague.id, colleague.displayName);
  // Oldest first, so that SOR ids follow the order in which the briefings were written.
  const ordered = [...SEEDS].sort((a, b) => b.ago[0] - a.ago[0] || a.ago[1] - b.ago[1]);
  for (const { seed, written } of withWrittenTimes(ordered, now)) {
    const attachments: AttachmentInput[] = [];
    if (seed.pdf) {
      const data = await renderBriefingPdf(
        {
          title: seed.title,
          classification: seed.classification,
          subtitle: seed.pdf.subtitle,
          sections: seed.pdf.sections,
        },
        written,
      );
      attachments.push({ name: seed.pdf.file, contentType: 'application/pdf', data });
    }
    if (seed.chart) {
      attachments.push({
        name: seed.chart.file,
        contentType: 'image/png',
        data: await renderBarChartPng(seed.chart),
      });
    }
    sor.create({
      content: {
        title: seed.title,
        summary: seed.summary,
        bodyHtml: renderBody(seed),
        classification: seed.classification,
        priority: seed.priority,
        sender: seed.sender,
        createdAt: written.toISOString(),
        updatedAt: written.toISOString(),
      },
      attachments,
      recipients: [SAMPLE_USER.id, ...(seed.alsoFor ?? [])],
      approvedAt: written.toISOString(),
    });
  }
  return SEEDS.length;
}
